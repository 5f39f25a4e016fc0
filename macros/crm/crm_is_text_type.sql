{#- True when a raw column type (from crm_raw_columns) holds text and so gets the text rules. -#}
{% macro crm_is_text_type(source_type) %}
    {{ return(source_type in ['VARCHAR', 'MISSING'] or source_type.startswith('VARCHAR')) }}
{% endmacro %}
