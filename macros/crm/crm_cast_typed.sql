{#-
    Cast a raw column that is already typed (not text) to its contract type; null when it
    does not convert (e.g. a fractional number as an integer, a number as a timestamp).
-#}
{% macro crm_cast_typed(raw_column, type) %}
    {%- if type == 'text' -%}
        {{ return("nullif(trim(cast(" ~ raw_column ~ " as " ~ dbt.type_string() ~ ")), '')") }}
    {%- elif type == 'timestamp' -%}
        {{ return(crm_try_cast(raw_column, dbt.type_timestamp())) }}
    {%- elif type == 'date' -%}
        {{ return(crm_try_cast(raw_column, 'date')) }}
    {%- elif type == 'decimal' -%}
        {{ return(crm_try_cast(raw_column, 'decimal(18, 2)')) }}
    {%- elif type == 'integer' -%}
        {%- set as_number = crm_try_cast(raw_column, 'decimal(38, 6)') -%}
        {{ return("case when " ~ as_number ~ " = floor(" ~ as_number ~ ") then "
            ~ crm_try_cast(as_number, dbt.type_bigint()) ~ " end") }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("crm_cast_typed: unknown contract type '" ~ type ~ "'") }}
    {%- endif -%}
{% endmacro %}
