{#-
    Loyalty from repeat behaviour: 'high' when the first valid order is at least
    loyalty_min_tenure_days before as_of_date (`tenure_days`) and valid orders fall in at
    least loyalty_min_active_quarters of the last four quarters; 'medium' with at least
    loyalty_medium_min_orders valid orders in the value window; else 'low' (prospects too).
-#}
{% macro crm_loyalty_level(tenure_days, active_quarters, value_window_orders) %}
    {%- do crm_validate_dimension_vars() -%}
    case
        when {{ tenure_days }} >= {{ var('loyalty_min_tenure_days') }}
            and {{ active_quarters }} >= {{ var('loyalty_min_active_quarters') }} then 'high'
        when {{ value_window_orders }} >= {{ var('loyalty_medium_min_orders') }} then 'medium'
        else 'low'
    end
{% endmacro %}
