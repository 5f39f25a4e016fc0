{#-
    Per customer in scope: how complete and how current its file is, judged against
    as_of_date (never the clock), so rebuilding a past date gives the same verdict.
    Completeness: the share of var profile_fields filled (industry counts for business
    customers only; contact is email or phone). Current: updated within
    profile_max_age_days of as_of_date; a file updated after as_of_date counts as age 0.
-#}
{%- do crm_validate_quality_vars() -%}
{%- set fields = var('profile_fields') -%}

with

analysis_date as (
    select as_of_date from {{ ref('int_analysis_date_resolved') }}
),

customers as (
    select
        customer_id,
        customer_name,
        customer_type,
        region,
        city,
        industry,
        acquisition_channel,
        email,
        phone,
        created_at,
        updated_at
    from {{ ref('stg_crm__customers') }}
),

checked as (
    select
        customers.customer_id,
        analysis_date.as_of_date,
        customers.customer_type,
        customers.region,
        customers.acquisition_channel,
        customers.updated_at,
        {{ crm_profile_field_flags(fields) }},
        {{ crm_days_between('cast(customers.updated_at as date)', 'analysis_date.as_of_date') }}
            as days_since_update
    from customers
    cross join analysis_date
    where customers.created_at < analysis_date.as_of_date
),

scored as (
    select
        customer_id,
        as_of_date,
        customer_type,
        region,
        acquisition_channel,
        updated_at,
        {{ crm_profile_completeness_columns(fields) }},
        greatest(days_since_update, 0) as file_age_days
    from checked
),

final as (
    select
        customer_id,
        as_of_date,
        customer_type,
        region,
        acquisition_channel,
        profile_fields_expected,
        profile_fields_filled,
        cast(profile_fields_filled as double) / profile_fields_expected as completeness_share,
        profile_fields_filled = profile_fields_expected as is_complete,
        missing_profile_fields,
        updated_at,
        file_age_days,
        file_age_days <= {{ var('profile_max_age_days') }} as is_current
    from scored
)

select * from final
