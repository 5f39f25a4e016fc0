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
        sum(quantity) as quantity,
        sum(amount) as amount,
        -- Null when no order of the day has a known cost.
        sum(known_margin) as known_margin,
        sum(measure) as measure
    from orders_by_day
    group by customer_id, ordered_date
)

select * from final
