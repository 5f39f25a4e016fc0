{#- Check that var `name` is one of `choices`; raise a compiler error naming the var otherwise. -#}
{% macro crm_require_choice(name, value, choices) %}
    {%- if value not in choices -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var '" ~ name ~ "' = " ~ (value | tojson) ~ ": must be one of "
            ~ (choices | join(', ')) ~ ".") }}
    {%- endif -%}
{% endmacro %}
