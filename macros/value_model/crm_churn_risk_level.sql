{#- Churn risk from P(alive): 'high' below churn_risk_high_below, 'medium' below churn_risk_medium_below, else 'low'; 'unknown' without a P(alive). -#}
{% macro crm_churn_risk_level(p_alive) %}
    {%- do crm_validate_dimension_vars() -%}
    case
        when {{ p_alive }} is null then 'unknown'
        when {{ p_alive }} < {{ var('churn_risk_high_below') }} then 'high'
        when {{ p_alive }} < {{ var('churn_risk_medium_below') }} then 'medium'
        else 'low'
    end
{% endmacro %}
