{#- True for the customers at `position` (1 = best score) within the top quality_top_share of `paying_customers`, compared exactly. -#}
{% macro crm_is_quality_customer(position, paying_customers) %}
    {%- do crm_validate_quality_score_vars() -%}
    ({{ position }} <= {{ paying_customers }} * {{ crm_decimal_var('quality_top_share') }})
{% endmacro %}
