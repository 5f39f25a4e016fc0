{#-
    The history vars: key_customer_lookback_days, a whole number of days >= 1 or null (every
    earlier snapshot); key_customer_flag_downgrades, true or false.
-#}
{% macro crm_validate_history_vars() %}
    {%- set lookback = var('key_customer_lookback_days') -%}
    {%- if lookback is not none -%}
        {%- do crm_require_number('key_customer_lookback_days', lookback, 1, 36500, integer=true) -%}
    {%- endif -%}
    {%- if var('key_customer_flag_downgrades') is not boolean -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var 'key_customer_flag_downgrades' = " ~ (var('key_customer_flag_downgrades') | tojson)
            ~ ": must be true or false.") }}
    {%- endif -%}
{% endmacro %}

{#- The rank of the downgrade case among a customer's slips: after every seed rule. -#}
{% macro crm_downgrade_rule_rank() %}1000000{% endmacro %}
