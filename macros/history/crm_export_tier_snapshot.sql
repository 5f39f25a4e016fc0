{#-
    `dbt run-operation crm_export_tier_snapshot --args '{path: ...}'`: write this build's
    snapshot (crm_tier_snapshot, read from dim_customers in the work database) to a
    Parquet file. `crm-value backfill` calls it after a date's build and audits passed,
    then renames the file into the history store.
-#}
{% macro crm_export_tier_snapshot(path) %}
    {%- if "'" in path -%}
        {{ exceptions.raise_compiler_error("crm_export_tier_snapshot: a path with a quote: " ~ path) }}
    {%- endif -%}
    {%- set sql -%}
        copy ({{ crm_tier_snapshot() }}) to '{{ path }}' (format parquet, compression zstd)
    {%- endset -%}
    {%- do run_query(sql) -%}
    {{ log("exported the tier snapshot to " ~ path, info=True) }}
{% endmacro %}
