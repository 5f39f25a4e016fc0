{#- The value of `value` on the row with the largest `order_by` in the group (an aggregate). -#}
{% macro crm_arg_max(value, order_by) %}
    {{ return(adapter.dispatch('crm_arg_max', 'crm_value')(value, order_by)) }}
{% endmacro %}

{% macro default__crm_arg_max(value, order_by) %}
    arg_max({{ value }}, {{ order_by }})
{% endmacro %}

{% macro spark__crm_arg_max(value, order_by) %}
    max_by({{ value }}, {{ order_by }})
{% endmacro %}
