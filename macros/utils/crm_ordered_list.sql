{#- The group's `value`s joined by `delimiter` (a SQL string literal) in the order of
    `order_by` (one or more comma-separated expressions), as an aggregate. dbt's own
    listagg drops the order on Spark. -#}
{% macro crm_ordered_list(value, order_by, delimiter) %}
    {{ return(adapter.dispatch('crm_ordered_list', 'crm_value')(value, order_by, delimiter)) }}
{% endmacro %}

{% macro default__crm_ordered_list(value, order_by, delimiter) %}
    {{ dbt.listagg(value, delimiter, 'order by ' ~ order_by) }}
{% endmacro %}

{% macro spark__crm_ordered_list(value, order_by, delimiter) %}
    array_join(
        transform(
            array_sort(collect_list(struct(struct({{ order_by }}) as k, {{ value }} as v))),
            item -> item.v
        ),
        {{ delimiter }}
    )
{% endmacro %}
