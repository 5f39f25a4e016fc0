{#-
    Check every entity's raw file (file mode only) and return the verdict as a dict:
    {problems: [...], warnings: [...], files: {entity: {rows, columns, types}}}.
    DuckDB implementation through the crm_inspect_raw_files() function the project's
    dbt-duckdb plugin registers (src/crm_value/raw_files.py); another engine provides its
    own dispatch.
-#}
{% macro crm_inspect_raw_files() %}
    {{ return(adapter.dispatch('crm_inspect_raw_files', 'crm_value')()) }}
{% endmacro %}

{% macro duckdb__crm_inspect_raw_files() %}
    {%- set request = {} -%}
    {%- for entity, spec in crm_raw_entities().items() -%}
        {%- do request.update({entity: {
            'path': crm_raw_file_path(entity),
            'reader': source('crm', entity) | string,
            'spec': spec,
        }}) -%}
    {%- endfor -%}
    {%- set sql -%}
        select crm_inspect_raw_files(
            '{{ tojson(request) | replace("'", "''") }}', '{{ crm_raw_mode() }}'
        ) as verdict
    {%- endset -%}
    {%- set verdict = run_query(sql).columns[0].values()[0] -%}
    {{ return(fromjson(verdict)) }}
{% endmacro %}
