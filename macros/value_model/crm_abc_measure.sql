{#-
    The per-order contribution to the ABC (and pyramid-order) measure, var abc_measure:
    'amount', or 'margin' = amount - cost, null (adding nothing) when cost is unknown.
-#}
{% macro crm_abc_measure(amount, cost) %}
    {%- do crm_validate_abc_vars() -%}
    {%- if var('abc_measure') == 'amount' -%}
        {{ amount }}
    {%- else -%}
        ({{ amount }} - {{ cost }})
    {%- endif -%}
{% endmacro %}
