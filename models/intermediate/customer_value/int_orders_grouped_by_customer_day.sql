{#-
    One row per customer and purchase day: the valid (completed) orders dated before
    as_of_date, summed by day. The CLV models count purchase days, not orders, and every
    window starts at midnight, so a day lies wholly in or out of each window. The
    per-customer summary and the CLV backtest's tracking both read this: the big scan over
    orders happens once.
-#}
with

analysis_date as (
    select as_of_date
    from {{ ref('int_analysis_date_resolved') }}
),

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

orders_in_scope as (
    select
        valid_orders.customer_id,
        cast(valid_orders.ordered_at as date) as ordered_date,
        valid_orders.quantity,
        valid_orders.amount,
        valid_orders.amount - valid_orders.cost as known_margin,
        {{ crm_abc_measure('valid_orders.amount', 'valid_orders.cost') }} as measure
    from valid_orders
    cross join analysis_date
    where valid_orders.ordered_at < analysis_date.as_of_date
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
    from orders_in_scope
    group by customer_id, ordered_date
)

select * from final
