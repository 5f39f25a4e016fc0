{#-
    One row per customer in scope (file opened before as_of_date) with everything the
    marts need from the valid orders before as_of_date: first, last and previous purchase
    days, counts and sums over the RFM window and the value window, purchase days and the
    value of the repeat purchase days (for the CLV model) and the same split at the CLV
    backtest's calibration end, the quarters with a purchase (loyalty), and the volume,
    known margin and purchase cycle of the value window (the quality score). It reads the
    per-customer purchase days (int_orders_grouped_by_customer_day), never the orders.
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
        quarter_4_start_date,
        clv_calibration_end_date
    from {{ ref('int_analysis_date_resolved') }}
),

customers as (
    select
        customer_id,
        created_at
    from {{ ref('stg_crm__customers') }}
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

purchase_days as (
    select
        customer_id,
        ordered_date,
        orders,
        quantity,
        amount,
        known_margin,
        measure
    from {{ ref('int_orders_grouped_by_customer_day') }}
),

days_in_windows as (
    -- The windows start at midnight, so a purchase day is wholly in or out of each.
    select
        purchase_days.customer_id,
        purchase_days.ordered_date,
        purchase_days.orders,
        purchase_days.quantity,
        purchase_days.amount,
        purchase_days.known_margin,
        purchase_days.measure,
        purchase_days.ordered_date >= analysis_date.value_window_start_date as is_in_value_window,
        coalesce(
            purchase_days.ordered_date >= analysis_date.rfm_window_start_date, true
        ) as is_in_rfm_window,
        -- The CLV backtest's calibration period: before clv_calibration_end_date.
        purchase_days.ordered_date < analysis_date.clv_calibration_end_date as is_in_calibration,
        -- Which of the last four quarters the day falls in (null: before them).
        case
            when purchase_days.ordered_date >= analysis_date.quarter_1_start_date then 1
            when purchase_days.ordered_date >= analysis_date.quarter_2_start_date then 2
            when purchase_days.ordered_date >= analysis_date.quarter_3_start_date then 3
            when purchase_days.ordered_date >= analysis_date.quarter_4_start_date then 4
        end as quarter_back
    from purchase_days
    inner join analysis_date
        on purchase_days.ordered_date < analysis_date.as_of_date
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
    from days_in_windows
),

order_summary as (
    select
        customer_id,
        min(ordered_date) as first_order_date,
        max(ordered_date) as last_order_date,
        cast(sum(orders) as integer) as valid_orders,
        cast(count(*) as integer) as purchase_days,
        cast(sum(amount) - min_by(amount, ordered_date) as decimal(18, 2)) as repeat_purchase_value,
        cast(min_by(amount, ordered_date) as decimal(18, 2)) as first_purchase_value,
        -- The CLV backtest: the calibration period's purchase days, the last of them and
        -- their value; the holdout's purchase days and their value.
        cast(sum(case when is_in_calibration then 1 else 0 end) as integer)
            as calibration_purchase_days,
        max(case when is_in_calibration then ordered_date end) as calibration_last_order_date,
        cast(sum(case when is_in_calibration then amount else 0 end) as decimal(18, 2))
            as calibration_purchase_value,
        cast(sum(case when is_in_calibration then 0 else 1 end) as integer)
            as holdout_purchase_days,
        cast(sum(case when is_in_calibration then 0 else amount end) as decimal(18, 2))
            as holdout_purchase_value,
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
        order_summary.first_purchase_value,
        coalesce(order_summary.calibration_purchase_days, 0) as calibration_purchase_days,
        order_summary.calibration_last_order_date,
        coalesce(order_summary.calibration_purchase_value, 0) as calibration_purchase_value,
        coalesce(order_summary.holdout_purchase_days, 0) as holdout_purchase_days,
        coalesce(order_summary.holdout_purchase_value, 0) as holdout_purchase_value,
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
