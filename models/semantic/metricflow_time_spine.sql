{#-
    MetricFlow's time spine: one row per day, from the first day of the month of the earliest
    customer file or valid order to the analysis date (as_of_date) of the build: every date
    the marts hold lies in between (the demo: 2020-01-01 .. 2025-12-28, 2,189 rows).
    MetricFlow accepts no semantic model without a day-grain spine, and joins it for
    cumulative metrics (revenue_to_date), offsets and filled gaps; ending it at as_of_date
    ends a cumulative series there too. It is a table in schema marts, so the publish step
    serves it beside the marts that `mf query` reads from the serving file.
-#}
with

bounds as (
    select
        cast({{ dbt.date_trunc('month', 'least(min(cast(created_at as date)), min(first_order_date))') }} as date)
            as first_day,
        max(as_of_date) as last_day
    from {{ ref('dim_customers') }}
),

-- 100,000 days: any span from min_plausible_date (1900) to well past this century
day_numbers as (
    {{ crm_integers(100000) }}
),

final as (
    select cast({{ dbt.dateadd('day', 'day_numbers.k', 'bounds.first_day') }} as date) as date_day
    from bounds
    inner join day_numbers
        on day_numbers.k <= {{ dbt.datediff('bounds.first_day', 'bounds.last_day', 'day') }}
)

select * from final
