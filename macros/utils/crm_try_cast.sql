{#-
    Cast that yields null instead of failing on a value that does not parse. (dbt's
    `dbt.safe_cast` renders a plain, failing `cast` on dbt-duckdb.) DuckDB and Spark
    both spell it try_cast.
-#}
{% macro crm_try_cast(expression, data_type) %}
    {{ return(adapter.dispatch('crm_try_cast', 'crm_value')(expression, data_type)) }}
{% endmacro %}

{% macro default__crm_try_cast(expression, data_type) %}
    try_cast({{ expression }} as {{ data_type }})
{% endmacro %}
