{#-
    Check that var `name` is a list of `length` numbers, each within [min_value, max_value],
    strictly ascending. Raises a compiler error naming the var and the rule.
-#}
{% macro crm_require_ascending(name, value, length, min_value=none, max_value=none) %}
    {%- set rule = length ~ " strictly ascending numbers" ~ (
        " in [" ~ min_value ~ ", " ~ max_value ~ "]" if min_value is not none and max_value is not none else "") -%}
    {%- if value is string or value is not iterable or (value | length) != length -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var '" ~ name ~ "' = " ~ (value | tojson) ~ ": must be a list of " ~ rule ~ ".") }}
    {%- endif -%}
    {%- for item in value -%}
        {%- do crm_require_number(name ~ '[' ~ loop.index0 ~ ']', item, min_value, max_value) -%}
        {%- if not loop.first and item <= value[loop.index0 - 1] -%}
            {{ exceptions.raise_compiler_error(
                "Invalid var '" ~ name ~ "' = " ~ (value | tojson) ~ ": must be " ~ rule ~ ".") }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}
