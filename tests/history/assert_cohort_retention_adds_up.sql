{#-
    The cohort table adds up to the orders: its revenue and orders sum to the valid orders
    before as_of_date, its cohorts hold every customer with one exactly once, and every
    cohort is wholly active in its first month. Returns a row per broken identity.
-#}
with

cohorts as (
    select * from {{ ref('fct_cohort_retention') }}
),

customer_days as (
    select purchase_days.*
    from {{ ref('int_orders_grouped_by_customer_day') }} as purchase_days
    inner join {{ ref('int_analysis_date_resolved') }} as analysis_date
        on purchase_days.ordered_date < analysis_date.as_of_date
),

cohort_totals as (
    select
        coalesce(sum(revenue), 0) as revenue,
        coalesce(sum(orders), 0) as orders,
        coalesce(sum(case when months_since = 0 then cohort_customers else 0 end), 0) as customers,
        sum(case when months_since = 0 and active_customers <> cohort_customers then 1 else 0 end)
            as partly_active_first_months
    from cohorts
),

order_totals as (
    select
        coalesce(sum(amount), 0) as revenue,
        coalesce(sum(orders), 0) as orders,
        count(distinct customer_id) as customers
    from customer_days
),

final as (
    select
        cohort_totals.revenue as cohort_revenue,
        order_totals.revenue as order_revenue,
        cohort_totals.orders as cohort_orders,
        order_totals.orders as order_count,
        cohort_totals.customers as cohort_customers,
        order_totals.customers as ordering_customers,
        cohort_totals.partly_active_first_months
    from cohort_totals
    cross join order_totals
)

select * from final
where
    cohort_revenue <> order_revenue
    or cohort_orders <> order_count
    or cohort_customers <> ordering_customers
    or coalesce(partly_active_first_months, 0) > 0
