{#-
    Whether a text expression holds a C0 control character other than tab, line feed or
    carriage return, or DEL. A raw column that is already typed (Parquet; `source_type`
    from crm_raw_columns) holds no text to check: false.
-#}
{% macro crm_has_control_character(expression, source_type='VARCHAR') %}
    {%- if not crm_is_text_type(source_type) -%}
        {{- return('false') -}}
    {%- endif -%}
    {{- return(adapter.dispatch('crm_has_control_character', 'crm_value')(expression)) -}}
{% endmacro %}

{% macro default__crm_has_control_character(expression) %}
    {{- return("regexp_matches(" ~ expression ~ ", '[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]')") -}}
{% endmacro %}

{#- Spark: Java's regular expressions take the same class; a Spark string literal reads
    backslash escapes, so each backslash is doubled. -#}
{% macro spark__crm_has_control_character(expression) %}
    {%- set pattern = '[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]' -%}
    {{- return("(" ~ expression ~ " rlike '" ~ (pattern | replace('\\', '\\\\')) ~ "')") -}}
{% endmacro %}

{#- The earliest date a raw date or timestamp may hold (var min_plausible_date), as a SQL date literal. -#}
{% macro crm_min_plausible_date() %}
    {{- return("cast('" ~ var('min_plausible_date') ~ "' as date)") -}}
{% endmacro %}
