{#-
    `dbt run-operation crm_export_tier_snapshot --args '{path: ..., dim_customers_sql: ...}'`:
    write this build's snapshot (crm_tier_snapshot) to a Parquet file. `crm-value backfill`
    calls it after a date's build and audits passed, with dim_customers' compiled SELECT
    for that date (every label computed as dim_customers computes it, without writing the
    table), then renames the file into the history store. Without dim_customers_sql it
    reads the dim_customers table in the work database.
-#}
{% macro crm_export_tier_snapshot(path, dim_customers_sql=none) %}
    {%- if "'" in path -%}
        {{ exceptions.raise_compiler_error("crm_export_tier_snapshot: a path with a quote: " ~ path) }}
    {%- endif -%}
    {%- set sql -%}
        copy ({{ crm_tier_snapshot(dim_customers_sql) }}) to '{{ path }}' (format parquet, compression zstd)
    {%- endset -%}
    {%- do run_query(sql) -%}
    {{ log("exported the tier snapshot to " ~ path, info=True) }}
{% endmacro %}
