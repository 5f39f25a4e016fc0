{#- Validate primary_tier_scheme. Raises a compiler error naming the var. -#}
{% macro crm_validate_strategy_vars() %}
    {%- do crm_require_choice('primary_tier_scheme', var('primary_tier_scheme'),
        crm_tier_schemes()) -%}
{% endmacro %}
