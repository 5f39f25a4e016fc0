{#-
    The four kinds of customer, first match: 'lost' (a buyer with no valid order in the
    value window, or a high churn risk), 'loyal' (high loyalty in the top, big or medium
    pyramid tier), 'potential' (a prospect, a new customer or high purchase potential),
    else 'marginal'. A prospect has never bought, so it is potential, not lost.
-#}
{% macro crm_loyalty_type(has_valid_order, value_window_orders, churn_risk, loyalty, pyramid_tier, lifecycle_stage, purchase_potential) %}
    case
        when {{ has_valid_order }}
            and ({{ value_window_orders }} = 0 or {{ churn_risk }} = 'high') then 'lost'
        when {{ loyalty }} = 'high' and {{ pyramid_tier }} in ('top', 'big', 'medium') then 'loyal'
        when not {{ has_valid_order }}
            or {{ lifecycle_stage }} = 'new'
            or {{ purchase_potential }} = 'high' then 'potential'
        else 'marginal'
    end
{% endmacro %}
