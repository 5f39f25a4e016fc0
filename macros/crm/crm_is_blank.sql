{#-
    Whether a raw value is absent, as a parenthesised SQL condition: a text value that is
    null or only blanks (the text a CSV holds), a typed value (Parquet) that is null.
    `source_type` is the raw column's type from crm_raw_columns.
-#}
{% macro crm_is_blank(raw_column, source_type='VARCHAR') %}
    {%- if crm_is_text_type(source_type) -%}
        {{ return("(nullif(trim(" ~ raw_column ~ "), '') is null)") }}
    {%- endif -%}
    {{ return("(" ~ raw_column ~ " is null)") }}
{% endmacro %}
