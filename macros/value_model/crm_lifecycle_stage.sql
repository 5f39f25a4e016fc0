{#-
    The lifecycle stage, first match: 'prospect' (no valid order), 'new' (first valid order
    within new_customer_days of as_of_date), 'reactivated' (a purchase in the value window
    at least value_window_days after the purchase day before it), 'mature' (a valid order
    in the value window), else 'lost'. Day counts are whole days.
-#}
{% macro crm_lifecycle_stage(has_valid_order, first_order_age_days, value_window_orders, reactivation_gap_days) %}
    {%- do crm_validate_dimension_vars() -%}
    case
        when not {{ has_valid_order }} then 'prospect'
        when {{ first_order_age_days }} <= {{ var('new_customer_days') }} then 'new'
        when {{ value_window_orders }} > 0
            and {{ reactivation_gap_days }} >= {{ var('value_window_days') }} then 'reactivated'
        when {{ value_window_orders }} > 0 then 'mature'
        else 'lost'
    end
{% endmacro %}
