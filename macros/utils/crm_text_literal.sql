{#-
    A SQL string literal holding `value` exactly, on every engine: DuckDB doubles a quote;
    Spark reads backslash escapes and takes 'a''b' as two literals side by side ('ab'), so
    there a backslash and a quote are each escaped with a backslash. File paths go through
    this, so a file named it's.csv is that file on both engines.
-#}
{% macro crm_text_literal(value) %}
    {{ return(adapter.dispatch('crm_text_literal', 'crm_value')(value | string)) }}
{% endmacro %}

{% macro default__crm_text_literal(value) %}
    {{ return("'" ~ (value | replace("'", "''")) ~ "'") }}
{% endmacro %}

{% macro spark__crm_text_literal(value) %}
    {{ return("'" ~ (value | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") }}
{% endmacro %}
