{#-
    Check every raw file this build has not read yet (file mode only: a folder's new
    increments, or a full export that changed) and return the verdict as a dict:
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
        {%- set batches = crm_pending_batches(entity) -%}
        {%- set files = [] -%}
        {%- for item in batches.pending -%}
            {%- do files.append({'path': item.file,
                                 'reader': crm_batch_reader(entity, [item])}) -%}
        {%- endfor -%}
        {%- if files -%}
            {%- do request.update({entity: {
                'path': files[0].path,
                'reader': files[0].reader,
                'files': files,
                'layout': batches.layout,
                'spec': spec,
            }}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not request -%}
        {{ return({'problems': [], 'warnings': [], 'files': {}}) }}
    {%- endif -%}
    {%- set sql -%}
        select crm_inspect_raw_files(
            '{{ tojson(request) | replace("'", "''") }}', '{{ crm_raw_mode() }}'
        ) as verdict
    {%- endset -%}
    {%- set verdict = run_query(sql).columns[0].values()[0] -%}
    {{ return(fromjson(verdict)) }}
{% endmacro %}

{% macro default__crm_inspect_raw_files() %}
    {{ exceptions.raise_compiler_error(
        "Raw files (CRM_RAW_DIR) are read on DuckDB only so far (adapter " ~ adapter.type()
        ~ "): build the bundled demo seeds on this target, or run on DuckDB") }}
{% endmacro %}
