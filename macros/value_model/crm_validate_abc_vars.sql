{#- Validate abc_measure, abc_a_share and abc_b_share (b above a). Raises a compiler error naming the var. -#}
{% macro crm_validate_abc_vars() %}
    {%- do crm_require_choice('abc_measure', var('abc_measure'), ['amount', 'margin']) -%}
    {%- do crm_require_number('abc_a_share', var('abc_a_share'), 0.01, 0.99) -%}
    {%- do crm_require_number('abc_b_share', var('abc_b_share'), 0.01, 1) -%}
    {%- if var('abc_b_share') <= var('abc_a_share') -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var 'abc_b_share' = " ~ var('abc_b_share') ~ ": must be greater than abc_a_share ("
            ~ var('abc_a_share') ~ ") and at most 1.") }}
    {%- endif -%}
{% endmacro %}
