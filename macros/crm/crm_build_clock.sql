{#- The build's clock: dbt's run_started_at (UTC) as a timestamp literal. -#}
{% macro crm_build_clock() %}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
{% endmacro %}
