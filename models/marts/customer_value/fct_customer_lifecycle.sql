{#-
    Where each customer in scope stands: the lifecycle stage (prospect, new, reactivated,
    mature, lost) and the loyalty type, the four kinds of customer (lost, loyal,
    potential, marginal), with the facts that decide them (VALUE_MODEL.md, "Loyalty types"
    and "Lifecycle stage").
-#}
with

summary as (
    select
        customer_id,
        as_of_date,
        has_valid_order,
        first_order_date,
        last_order_date,
        previous_order_date,
        value_window_orders
    from {{ ref('int_customers_summarised') }}
),

dimensions as (
    select
        customer_id,
        loyalty,
        churn_risk,
        purchase_potential
    from {{ ref('fct_customer_value_dimensions') }}
),

pyramid as (
    select
        customer_id,
        pyramid_tier
    from {{ ref('fct_customer_pyramid') }}
),

staged as (
    select
        summary.customer_id,
        summary.as_of_date,
        summary.has_valid_order,
        summary.first_order_date,
        summary.last_order_date,
        summary.previous_order_date,
        summary.value_window_orders,
        {{ crm_lifecycle_stage(
            'summary.has_valid_order',
            crm_days_between('summary.first_order_date', 'summary.as_of_date'),
            'summary.value_window_orders',
            crm_days_between('summary.previous_order_date', 'summary.last_order_date')
        ) }} as lifecycle_stage,
        pyramid.pyramid_tier,
        dimensions.loyalty,
        dimensions.churn_risk,
        dimensions.purchase_potential
    from summary
    inner join dimensions
        on summary.customer_id = dimensions.customer_id
    inner join pyramid
        on summary.customer_id = pyramid.customer_id
),

final as (
    select
        customer_id,
        as_of_date,
        has_valid_order,
        first_order_date,
        last_order_date,
        previous_order_date,
        value_window_orders,
        lifecycle_stage,
        pyramid_tier,
        loyalty,
        churn_risk,
        purchase_potential,
        {{ crm_loyalty_type(
            'has_valid_order', 'value_window_orders', 'churn_risk', 'loyalty',
            'pyramid_tier', 'lifecycle_stage', 'purchase_potential'
        ) }} as loyalty_type
    from staged
)

select * from final
