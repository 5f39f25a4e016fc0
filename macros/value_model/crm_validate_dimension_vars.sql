{#-
    Validate the vars of the six value dimensions, the loyalty type and the lifecycle stage.
    Raises a compiler error naming the var and its allowed range.
-#}
{% macro crm_validate_dimension_vars() %}
    {%- do crm_require_number('new_customer_days', var('new_customer_days'), 0, 3660, integer=true) -%}
    {%- do crm_require_number('loyalty_min_tenure_days', var('loyalty_min_tenure_days'), 0, 36600, integer=true) -%}
    {%- do crm_require_number('loyalty_min_active_quarters', var('loyalty_min_active_quarters'), 1, 4, integer=true) -%}
    {%- do crm_require_number('loyalty_medium_min_orders', var('loyalty_medium_min_orders'), 1, none, integer=true) -%}
    {%- do crm_require_number('satisfaction_medium_min', var('satisfaction_medium_min'), 0, 10) -%}
    {%- do crm_require_number('satisfaction_high_min', var('satisfaction_high_min'), var('satisfaction_medium_min'), 10) -%}
    {%- do crm_require_number('churn_risk_high_below', var('churn_risk_high_below'), 0, 1) -%}
    {%- do crm_require_number('churn_risk_medium_below', var('churn_risk_medium_below'), var('churn_risk_high_below'), 1) -%}
    {%- do crm_require_number('nps_detractor_max', var('nps_detractor_max'), 0, 10, integer=true) -%}
    {%- do crm_require_number('nps_promoter_min', var('nps_promoter_min'), var('nps_detractor_max') + 1, 10, integer=true) -%}
{% endmacro %}
