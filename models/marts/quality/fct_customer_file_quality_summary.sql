{#-
    Who keeps the customer files badly: completeness and timeliness by region, customer
    type and acquisition channel (a missing value is its own group), plus an `all` row.
-#}
{%- set dimensions = ['region', 'customer_type', 'acquisition_channel'] -%}

with

quality as (
    select
        as_of_date,
        region,
        customer_type,
        acquisition_channel,
        completeness_share,
        is_complete,
        is_current
    from {{ ref('fct_customer_file_quality') }}
),

grouped as (
    {% for dimension in ['all'] + dimensions -%}
        {{ crm_file_quality_group('quality', dimension) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        as_of_date,
        dimension,
        dimension_value,
        cast(customers as integer) as customers,
        cast(complete_customers as integer) as complete_customers,
        cast(current_customers as integer) as current_customers,
        cast(complete_customers as double) / customers as complete_share,
        cast(current_customers as double) / customers as current_share,
        mean_completeness_share
    from grouped
)

select * from final
