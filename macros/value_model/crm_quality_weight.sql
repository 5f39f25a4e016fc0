{#- The weight of one quality-score measure (var quality_weights) as an exact decimal literal. -#}
{% macro crm_quality_weight(measure) %}
    {%- do crm_validate_quality_score_vars() -%}
    cast('{{ var("quality_weights")[measure] }}' as decimal(18, 9))
{% endmacro %}
