{#- Validate pyramid_cuts: three ascending shares in [0, 1]. Raises a compiler error naming the var. -#}
{% macro crm_validate_pyramid_vars() %}
    {%- do crm_require_ascending('pyramid_cuts', var('pyramid_cuts'), 3, 0, 1) -%}
{% endmacro %}
