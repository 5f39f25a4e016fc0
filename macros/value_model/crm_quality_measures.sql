{#- The six measures of the quality score, in the order of quality_weights' documentation. -#}
{% macro crm_quality_measures() %}
    {{ return(['revenue', 'volume', 'margin', 'overdue_debt', 'purchase_cycle', 'cost_to_serve']) }}
{% endmacro %}
