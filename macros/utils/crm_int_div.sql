{#- Integer division that truncates on every engine (DuckDB's `/` on integers gives a double). -#}
{% macro crm_int_div(numerator, denominator) %}
    {{ return(adapter.dispatch('crm_int_div', 'crm_value')(numerator, denominator)) }}
{% endmacro %}

{% macro default__crm_int_div(numerator, denominator) %}
    (({{ numerator }}) // ({{ denominator }}))
{% endmacro %}

{% macro spark__crm_int_div(numerator, denominator) %}
    (({{ numerator }}) div ({{ denominator }}))
{% endmacro %}
