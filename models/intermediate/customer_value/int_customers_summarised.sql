{#-
    One row per customer in scope (file opened before as_of_date) with everything the
    marts need from the valid orders before as_of_date: first, last and previous purchase
    days, counts and sums over the RFM window and the value window, purchase days and the
    value of the repeat purchase days (for the CLV model), the quarters with a purchase
    (loyalty), and the volume, known margin and purchase cycle of the value window (the
    quality score). The one big scan over orders.
-#}
with

analysis_date as (
    select
        as_of_date,
        value_window_start_date,
        rfm_window_start_date,
        quarter_1_start_date,
        quarter_2_start_date,
        quarter_3_start_date,
        quarter_4_start_date
    from {{ ref('int_analysis_date_resolved') }}
),

customers as (
    select
        customer_id,
        created_at
    from {{ ref('stg_crm__customers') }}
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

customers_in_scope as (
    select
        customers.customer_id,
        customers.created_at,
        analysis_date.as_of_date
    from customers
    cross join analysis_date
    where customers.created_at < analysis_date.as_of_date
),

orders_in_scope as (
    select
        valid_orders.customer_id,
        valid_orders.quantity,
        valid_orders.amount,
        valid_orders.amount - valid_orders.cost as known_margin,
        {{ crm_abc_measure('valid_orders.amount', 'valid_orders.cost') }} as measure,
        cast(valid_orders.ordered_at as date) as ordered_date,
        valid_orders.ordered_at >= analysis_date.value_window_start_date as is_in_value_window,
        coalesce(
            valid_orders.ordered_at >= analysis_date.rfm_window_start_date, true
        ) as is_in_rfm_window,
        -- Which of the last four quarters the order falls in (null: before them).
        case
            when valid_orders.ordered_at >= analysis_date.quarter_1_start_date then 1
            when valid_orders.ordered_at >= analysis_date.quarter_2_start_date then 2
            when valid_orders.ordered_at >= analysis_date.quarter_3_start_date then 3
            when valid_orders.ordered_at >= analysis_date.quarter_4_start_date then 4
        end as quarter_back
    from valid_orders
    cross join analysis_date
    where valid_orders.ordered_at < analysis_date.as_of_date
),

orders_by_day as (
    -- One row per customer and purchase day: the CLV model counts purchase days, not
    -- orders, and the windows start at midnight, so a day is wholly in or out of each.
    select
        customer_id,
        ordered_date,
        count(*) as orders,
        sum(quantity) as quantity,
        sum(amount) as amount,
        sum(known_margin) as known_margin,
        sum(measure) as measure,
        max(case when is_in_value_window then 1 else 0 end) = 1 as is_in_value_window,
        max(case when is_in_rfm_window then 1 else 0 end) = 1 as is_in_rfm_window,
        min(quarter_back) as quarter_back
    from orders_in_scope
    group by customer_id, ordered_date
),

days_with_gaps as (
    select
        *,
        lag(ordered_date) over (partition by customer_id order by ordered_date)
            as previous_purchase_date,
        -- A gap lies in the value window when the earlier of its two days does.
        coalesce(
            lag(is_in_value_window) over (partition by customer_id order by ordered_date),
            false
        ) as is_gap_in_value_window
    from orders_by_day
),

order_summary as (
    select
        customer_id,
        min(ordered_date) as first_order_date,
        max(ordered_date) as last_order_date,
        cast(sum(orders) as integer) as valid_orders,
        cast(count(*) as integer) as purchase_days,
        cast(sum(amount) - min_by(amount, ordered_date) as decimal(18, 2)) as repeat_purchase_value,
        cast(sum(case when is_in_rfm_window then orders else 0 end) as integer) as rfm_frequency,
        cast(coalesce(sum(case when is_in_rfm_window then amount end), 0) as decimal(18, 2))
            as rfm_monetary,
        cast(sum(case when is_in_value_window then orders else 0 end) as integer)
            as value_window_orders,
        cast(
            coalesce(sum(case when is_in_value_window then amount end), 0) as decimal(18, 2)
        ) as value_window_revenue,
        -- An order whose cost is unknown adds nothing to a margin measure (0, not unknown).
        cast(
            coalesce(sum(case when is_in_value_window then measure end), 0) as decimal(18, 2)
        ) as value_window_measure,
        cast(sum(amount) as decimal(18, 2)) as lifetime_revenue,
        cast(sum(case when is_in_value_window then 1 else 0 end) as integer)
            as value_window_purchase_days,
        -- Null (not 0) when no order of the window has a quantity or a known cost.
        cast(sum(case when is_in_value_window then quantity end) as bigint)
            as value_window_quantity,
        cast(sum(case when is_in_value_window then known_margin end) as decimal(18, 2))
            as value_window_known_margin,
        -- The purchase day before the last one; purchase days only grow, so the latest
        -- day's predecessor is the largest predecessor.
        max(previous_purchase_date) as previous_order_date,
        -- Median gap between consecutive purchase days that both lie in the value window.
        cast({{ crm_median(
            'case when is_gap_in_value_window then ' ~ crm_days_between('previous_purchase_date', 'ordered_date') ~ ' end'
        ) }} as double) as purchase_cycle_days,
        cast(
            max(case when quarter_back = 1 then 1 else 0 end)
            + max(case when quarter_back = 2 then 1 else 0 end)
            + max(case when quarter_back = 3 then 1 else 0 end)
            + max(case when quarter_back = 4 then 1 else 0 end)
            as integer
        ) as active_quarters
    from days_with_gaps
    group by customer_id
),

final as (
    select
        customers_in_scope.customer_id,
        customers_in_scope.created_at,
        customers_in_scope.as_of_date,
        order_summary.first_order_date,
        order_summary.last_order_date,
        order_summary.customer_id is not null as has_valid_order,
        coalesce(order_summary.valid_orders, 0) as valid_orders,
        coalesce(order_summary.purchase_days, 0) as purchase_days,
        coalesce(order_summary.repeat_purchase_value, 0) as repeat_purchase_value,
        coalesce(order_summary.rfm_frequency, 0) as rfm_frequency,
        coalesce(order_summary.rfm_monetary, 0) as rfm_monetary,
        coalesce(order_summary.value_window_orders, 0) as value_window_orders,
        coalesce(order_summary.value_window_revenue, 0) as value_window_revenue,
        coalesce(order_summary.value_window_measure, 0) as value_window_measure,
        coalesce(order_summary.lifetime_revenue, 0) as lifetime_revenue,
        coalesce(order_summary.value_window_purchase_days, 0) as value_window_purchase_days,
        order_summary.value_window_quantity,
        order_summary.value_window_known_margin,
        order_summary.previous_order_date,
        order_summary.purchase_cycle_days,
        coalesce(order_summary.active_quarters, 0) as active_quarters
    from customers_in_scope
    left join order_summary
        on customers_in_scope.customer_id = order_summary.customer_id
)

select * from final
