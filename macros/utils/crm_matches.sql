{#- True when the whole of `expression` matches the regular expression `pattern`. -#}
{% macro crm_matches(expression, pattern) %}
    {{ return(adapter.dispatch('crm_matches', 'crm_value')(expression, pattern)) }}
{% endmacro %}

{% macro default__crm_matches(expression, pattern) %}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{% endmacro %}

{% macro spark__crm_matches(expression, pattern) %}
    {#- a Spark string literal reads backslash escapes: each one is doubled -#}
    ({{ expression }} rlike '^(?:{{ pattern | replace('\\', '\\\\') }})$')
{% endmacro %}
