{#-
    Check that var `name` is a number within [min_value, max_value] (either bound may be
    none), and a whole number when `integer`. Raises a compiler error naming the var, its
    value and the allowed range.
-#}
{% macro crm_require_number(name, value, min_value=none, max_value=none, integer=false) %}
    {%- set kind = 'a whole number' if integer else 'a number' -%}
    {%- set low = '-inf' if min_value is none else min_value -%}
    {%- set high = 'inf' if max_value is none else max_value -%}
    {%- set allowed = kind ~ ' in [' ~ low ~ ', ' ~ high ~ ']' -%}
    {%- set is_number = value is number and value is not boolean -%}
    {%- if not is_number
        or (integer and value != (value | int))
        or (min_value is not none and value < min_value)
        or (max_value is not none and value > max_value) -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var '" ~ name ~ "' = " ~ (value | tojson) ~ ": must be " ~ allowed ~ ".") }}
    {%- endif -%}
{% endmacro %}
