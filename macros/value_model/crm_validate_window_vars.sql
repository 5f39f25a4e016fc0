{#- Validate as_of_date (YYYY-MM-DD or null), value_window_days and rfm_window_days. Raises a compiler error naming the var. -#}
{% macro crm_validate_window_vars() %}
    {%- set as_of = var('as_of_date') -%}
    {%- if as_of is not none -%}
        {%- set text = as_of | string -%}
        {%- set valid = modules.re.fullmatch('\\d{4}-\\d{2}-\\d{2}', text) is not none -%}
        {%- if valid -%}
            {%- set parts = text.split('-') | map('int') | list -%}
            {%- set valid = 1 <= parts[1] <= 12 and 1 <= parts[2] <= 31 -%}
        {%- endif -%}
        {%- if not valid -%}
            {{ exceptions.raise_compiler_error(
                "Invalid var 'as_of_date' = " ~ (as_of | string | tojson)
                ~ ": must be a date 'YYYY-MM-DD', or null for the day after the latest valid order.") }}
        {%- endif -%}
    {%- endif -%}
    {%- do crm_require_number('value_window_days', var('value_window_days'), 1, 3660, integer=true) -%}
    {%- if var('rfm_window_days') is not none -%}
        {%- do crm_require_number('rfm_window_days', var('rfm_window_days'), 1, 36600, integer=true) -%}
    {%- endif -%}
{% endmacro %}
