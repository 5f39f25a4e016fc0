-- The lifecycle stage agrees with the pyramid (a prospect is a prospect in both; a lost
-- customer bought before but not in the value window), a new customer's first order is
-- within new_customer_days, and each loyalty type has the facts its rule requires.
select
    customer_id,
    first_order_date,
    lifecycle_stage,
    loyalty_type,
    pyramid_tier,
    loyalty,
    churn_risk,
    value_window_orders
from {{ ref('fct_customer_lifecycle') }}
where
    (lifecycle_stage = 'prospect') != (pyramid_tier = 'prospect')
    or (lifecycle_stage = 'lost' and (pyramid_tier != 'inactive' or value_window_orders != 0))
    or (lifecycle_stage in ('reactivated', 'mature') and value_window_orders = 0)
    or (
        lifecycle_stage = 'new'
        and {{ crm_days_between('first_order_date', 'as_of_date') }} > {{ var('new_customer_days') }}
    )
    or (loyalty_type = 'lost' and not (value_window_orders = 0 or churn_risk = 'high'))
    or (loyalty_type = 'lost' and lifecycle_stage = 'prospect')
    or (loyalty_type = 'loyal' and not (loyalty = 'high' and pyramid_tier in ('top', 'big', 'medium')))
