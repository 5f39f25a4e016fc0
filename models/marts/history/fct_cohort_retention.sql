{#-
    Cohort retention: customers grouped by the month of their first valid order (their
    acquisition cohort), followed month by month up to the month before as_of_date. Per
    cohort and month since acquisition: the customers with a valid order that month, their
    revenue and orders, the share of the cohort still active, and the revenue to date per
    cohort customer. The months come from the data: every cohort runs from its own first
    month to the last month of the analysed period, with quiet months as zero rows.
-#}
with

analysis_date as (
    select
        as_of_date,
        {{ dbt.date_trunc('month', dbt.dateadd('day', -1, 'as_of_date')) }} as last_month
    from {{ ref('int_analysis_date_resolved') }}
),

customer_days as (
    select
        purchase_days.customer_id,
        purchase_days.ordered_date,
        purchase_days.orders,
        purchase_days.amount
    from {{ ref('int_orders_grouped_by_customer_day') }} as purchase_days
    inner join analysis_date
        on purchase_days.ordered_date < analysis_date.as_of_date
),

cohorts as (
    select
        customer_id,
        {{ dbt.date_trunc('month', 'min(ordered_date)') }} as cohort_month
    from customer_days
    group by customer_id
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_customers
    from cohorts
    group by cohort_month
),

customer_months as (
    select
        cohorts.cohort_month,
        customer_days.customer_id,
        {{ dbt.date_trunc('month', 'customer_days.ordered_date') }} as activity_month,
        sum(customer_days.orders) as orders,
        sum(customer_days.amount) as revenue
    from customer_days
    inner join cohorts
        on customer_days.customer_id = cohorts.customer_id
    group by
        cohorts.cohort_month,
        customer_days.customer_id,
        {{ dbt.date_trunc('month', 'customer_days.ordered_date') }}
),

cohort_months as (
    select
        cohort_month,
        activity_month,
        count(*) as active_customers,
        sum(orders) as orders,
        sum(revenue) as revenue
    from customer_months
    group by cohort_month, activity_month
),

month_numbers as (
    {{ crm_integers(10000) }}
),

spine as (
    select
        analysis_date.as_of_date,
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_customers,
        month_numbers.k as months_since,
        cast({{ dbt.dateadd('month', 'month_numbers.k', 'cohort_sizes.cohort_month') }} as date) as activity_month
    from cohort_sizes
    cross join analysis_date
    inner join month_numbers
        on month_numbers.k <= {{ dbt.datediff('cohort_sizes.cohort_month', 'analysis_date.last_month', 'month') }}
),

final as (
    select
        spine.as_of_date,
        cast(spine.cohort_month as date) as cohort_month,
        cast(spine.months_since as integer) as months_since,
        spine.activity_month,
        cast(spine.cohort_customers as integer) as cohort_customers,
        cast(coalesce(cohort_months.active_customers, 0) as integer) as active_customers,
        cast(coalesce(cohort_months.active_customers, 0) as double) / spine.cohort_customers as active_share,
        cast(coalesce(cohort_months.orders, 0) as integer) as orders,
        cast(coalesce(cohort_months.revenue, 0) as decimal(18, 2)) as revenue,
        cast(sum(coalesce(cohort_months.revenue, 0)) over (
            partition by spine.cohort_month order by spine.months_since
            rows between unbounded preceding and current row
        ) as decimal(18, 2)) as cumulative_revenue,
        -- in double before the division: a decimal quotient's scale is the engine's
        -- (Spark keeps 6 places, DuckDB more), a double's is not
        cast(sum(coalesce(cohort_months.revenue, 0)) over (
            partition by spine.cohort_month order by spine.months_since
            rows between unbounded preceding and current row
        ) as double) / spine.cohort_customers as cumulative_revenue_per_customer
    from spine
    left join cohort_months
        on
            spine.cohort_month = cohort_months.cohort_month
            and spine.activity_month = cohort_months.activity_month
)

select * from final
