{#-
    Inspect one entity's raw file (file mode only) and return the verdict as a dict:
    {status: missing | unreadable | ok, columns: [...], rows: n | none, error: text}.
    DuckDB implementation through the crm_probe_raw_file() function the project's
    dbt-duckdb plugin registers; another engine provides its own dispatch.
-#}
{% macro crm_probe_raw_file(entity, count_rows=false) %}
    {{ return(adapter.dispatch('crm_probe_raw_file', 'crm_value')(entity, count_rows)) }}
{% endmacro %}

{% macro duckdb__crm_probe_raw_file(entity, count_rows=false) %}
    {%- set path = crm_raw_file_path(entity) -%}
    {%- set reader = source('crm', entity) | string -%}
    {%- set sql -%}
        select crm_probe_raw_file(
            '{{ path | replace("'", "''") }}',
            '{{ reader | replace("'", "''") }}',
            {{ 'true' if count_rows else 'false' }}
        ) as verdict
    {%- endset -%}
    {%- set verdict = run_query(sql).columns[0].values()[0] -%}
    {{ return(fromjson(verdict)) }}
{% endmacro %}
