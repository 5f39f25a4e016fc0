{#-
    One row per customer and purchase day: the valid (completed) orders, summed by day, on
    every day (the staging layer has already rejected future-dated orders). The CLV models
    count purchase days, not orders, and every window starts at midnight, so a day lies
    wholly in or out of each window. Every reader takes the days before as_of_date; the
    table itself does not depend on the analysis date, so a backfill builds it once for
    all its dates. The per-customer summary, the CLV backtest's tracking and the cohort
    table read this: the big scan over orders happens once.
-#}
with

valid_orders as (
    select
        customer_id,
        ordered_at,
        quantity,
        amount,
        cost
    from {{ ref('stg_crm__orders') }}
    where is_completed
),

orders_by_day as (
    select
        customer_id,
        cast(ordered_at as date) as ordered_date,
        quantity,
        amount,
        amount - cost as known_margin,
        {{ crm_abc_measure('amount', 'cost') }} as measure
    from valid_orders
),

final as (
    select
        customer_id,
        ordered_date,
        cast(count(*) as integer) as orders,
        -- The sums' types are fixed: DuckDB sums a bigint to a hugeint and a
        -- decimal(18, 2) to a decimal(38, 2), Spark to a bigint and a decimal(28, 2).
        cast(sum(quantity) as {{ dbt.type_bigint() }}) as quantity,
        cast(sum(amount) as decimal(38, 2)) as amount,
        -- Null when no order of the day has a known cost.
        cast(sum(known_margin) as decimal(38, 2)) as known_margin,
        cast(sum(measure) as decimal(38, 2)) as measure
    from orders_by_day
    group by customer_id, ordered_date
)

select * from final
