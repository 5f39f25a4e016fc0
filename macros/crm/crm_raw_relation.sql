{#-
    The relation an entity's raw rows come from: the dbt source `crm.<entity>`, which
    dbt-duckdb renders as the demo seed table or as DuckDB's CSV / Parquet reader over
    CRM_RAW_DIR (see _crm__sources.yml). In demo mode the seed is also declared as a
    dependency, so `dbt build` loads the seed before the model reads it.
-#}
{% macro crm_raw_relation(entity) %}
    {%- if crm_raw_mode() == 'seed' -%}
        {%- do ref(entity) -%}
    {%- endif -%}
    {{ return(source('crm', entity)) }}
{% endmacro %}
