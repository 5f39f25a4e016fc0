{#-
    The analysis date a build resolves when var `as_of_date` is not set: the day after
    the latest valid (completed) order's date. int_analysis_date_resolved applies it;
    the door (crm_value.contract) reads the same macro to estimate the date before dbt.
-#}
{% macro crm_as_of_from_latest_order(latest_order_date) %}
    cast({{ dbt.dateadd('day', 1, latest_order_date) }} as date)
{% endmacro %}
