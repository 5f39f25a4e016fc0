{#-
    The BI summary of one scheme, from dim_customers: per tier, the customers, their
    value-window revenue, and each as a share of the scheme's customers and revenue, with
    running shares in priority order (the 80/20 table). Tiers come with their labels.
    Another model with one row per customer and the scheme's tier column can stand for
    dim_customers (`from_model`, its revenue in `revenue_column`); each of `sums` is then
    summed per tier too, as decimal(18, 2), after revenue.
-#}
{% macro crm_tier_summary(
    scheme, from_model='dim_customers', revenue_column='value_window_revenue', sums=[]
) %}
{%- set tier_column = crm_scheme_tier_column(scheme) -%}
with

customers as (
    select
        as_of_date,
        {{ tier_column }} as tier_code,
        {{ revenue_column }} as revenue
        {%- for column in sums %},
        {{ column }}
        {%- endfor %}
    from {{ ref(from_model) }}
    where {{ tier_column }} is not null
),

strategy as (
    select
        tier_code,
        tier_label_zh,
        tier_label_en,
        priority_rank
    from {{ ref('dim_tier_strategy') }}
    where scheme = '{{ scheme }}'
),

tiers as (
    select
        tier_code,
        max(as_of_date) as as_of_date,
        cast(count(*) as integer) as customers,
        sum(revenue) as revenue
        {%- for column in sums %},
        sum({{ column }}) as {{ column }}
        {%- endfor %}
    from customers
    group by tier_code
),

shares as (
    select
        tiers.as_of_date,
        '{{ scheme }}' as scheme,
        tiers.tier_code,
        strategy.tier_label_zh,
        strategy.tier_label_en,
        strategy.priority_rank,
        tiers.customers,
        cast(tiers.revenue as decimal(18, 2)) as revenue,
        {%- for column in sums %}
        cast(tiers.{{ column }} as decimal(18, 2)) as {{ column }},
        {%- endfor %}
        cast(tiers.customers as double) / sum(tiers.customers) over () as share_of_customers,
        case
            when sum(tiers.revenue) over () > 0
                then cast(tiers.revenue as double) / cast(sum(tiers.revenue) over () as double)
            else 0
        end as share_of_revenue
    from tiers
    left join strategy
        on tiers.tier_code = strategy.tier_code
),

final as (
    select
        as_of_date,
        scheme,
        tier_code,
        tier_label_zh,
        tier_label_en,
        priority_rank,
        customers,
        revenue,
        {%- for column in sums %}
        {{ column }},
        {%- endfor %}
        share_of_customers,
        share_of_revenue,
        sum(share_of_customers) over (
            order by priority_rank asc, tier_code asc rows unbounded preceding
        ) as cumulative_share_of_customers,
        sum(share_of_revenue) over (
            order by priority_rank asc, tier_code asc rows unbounded preceding
        ) as cumulative_share_of_revenue
    from shares
)

select * from final
{% endmacro %}
