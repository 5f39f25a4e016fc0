{#-
    Validate as_of_date (YYYY-MM-DD or null, and not after the build's clock plus
    future_tolerance_days and a day: no data can reach a later date), min_plausible_date,
    value_window_days and rfm_window_days. Raises a compiler error naming the var.
-#}
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
        {%- set latest = (run_started_at + modules.datetime.timedelta(
            days=(var('future_tolerance_days') | int) + 1)).strftime('%Y-%m-%d') -%}
        {%- if text > latest -%}
            {{ exceptions.raise_compiler_error(
                "Invalid var 'as_of_date' = " ~ (text | tojson) ~ ": after the build's clock ("
                ~ run_started_at.strftime('%Y-%m-%d') ~ " UTC) and so after any data it may read; "
                ~ "give a date up to " ~ latest ~ ", or null for the day after the latest valid order.") }}
        {%- endif -%}
    {%- endif -%}
    {%- set min_date = var('min_plausible_date') | string -%}
    {%- if modules.re.fullmatch('\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])', min_date) is none -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var 'min_plausible_date' = " ~ (min_date | tojson)
            ~ ": must be a date 'YYYY-MM-DD'; earlier dates and timestamps are rejected as implausible.") }}
    {%- endif -%}
    {%- do crm_require_number('value_window_days', var('value_window_days'), 1, 3660, integer=true) -%}
    {%- if var('rfm_window_days') is not none -%}
        {%- do crm_require_number('rfm_window_days', var('rfm_window_days'), 1, 36600, integer=true) -%}
    {%- endif -%}
{% endmacro %}
