{#- A numeric var as an exact decimal literal (its text, not a binary float): cast('0.3' as decimal(18, 9)). -#}
{% macro crm_decimal_var(name) %}
    cast('{{ var(name) }}' as decimal(18, 9))
{% endmacro %}
