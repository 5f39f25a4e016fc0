{#- Whole days from date `start_date` to date `end_date` (end - start), as an integer. -#}
{% macro crm_days_between(start_date, end_date) %}
    {{ return(adapter.dispatch('crm_days_between', 'crm_value')(start_date, end_date)) }}
{% endmacro %}

{% macro default__crm_days_between(start_date, end_date) %}
    cast(({{ end_date }}) - ({{ start_date }}) as integer)
{% endmacro %}

{% macro spark__crm_days_between(start_date, end_date) %}
    datediff({{ end_date }}, {{ start_date }})
{% endmacro %}
