{#-
    Satisfaction from the surveys of the value window: the mean of perception /
    expectation is 'high' at or above satisfaction_high_min, 'medium' at or above
    satisfaction_medium_min, else 'low'; 'unknown' without a survey. `points` is the sum
    of the ratios in units of 1 / crm_satisfaction_unit() (an exact integer), so the
    comparison is exact.
-#}
{% macro crm_satisfaction_level(points, surveys) %}
    {%- do crm_validate_dimension_vars() -%}
    case
        when coalesce({{ surveys }}, 0) = 0 or {{ points }} is null then 'unknown'
        when {{ points }} >= {{ crm_decimal_var('satisfaction_high_min') }} * {{ crm_satisfaction_unit() }} * {{ surveys }}
            then 'high'
        when {{ points }} >= {{ crm_decimal_var('satisfaction_medium_min') }} * {{ crm_satisfaction_unit() }} * {{ surveys }}
            then 'medium'
        else 'low'
    end
{% endmacro %}
