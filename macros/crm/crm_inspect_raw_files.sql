{#-
    Check every raw file this build has not read yet (file mode only: a folder's new
    increments, or a full export that changed) and return the verdict as a dict:
    {problems: [...], warnings: [...], files: {entity: {rows, columns, types}}}.
    The rules are written once, in Python (crm_value.raw_files.inspect_files), which reads
    the files with DuckDB on private in-memory connections. DuckDB reaches it through the
    function the project's dbt-duckdb plugin registers; Spark through a script
    (crm_python_answer), so a file must be at a path the Spark driver's executors can
    open (local, or a mounted share).
-#}
{% macro crm_inspect_raw_files() %}
    {%- set request = crm_raw_inspection_request() -%}
    {%- if not request -%}
        {{ return({'problems': [], 'warnings': [], 'files': {}}) }}
    {%- endif -%}
    {{ return(adapter.dispatch('crm_inspect_raw_files', 'crm_value')(request)) }}
{% endmacro %}

{#- What inspect_files is asked: each entity's pending files, with DuckDB's reader of each. -#}
{% macro crm_raw_inspection_request() %}
    {%- set request = {} -%}
    {%- for entity, spec in crm_raw_entities().items() -%}
        {%- set batches = crm_pending_batches(entity) -%}
        {%- set files = [] -%}
        {%- for item in batches.pending -%}
            {%- do files.append({'path': item.file,
                                 'reader': default__crm_batch_reader(entity, [item])}) -%}
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
    {{ return(request) }}
{% endmacro %}

{% macro default__crm_inspect_raw_files(request) %}
    {%- set sql -%}
        select crm_inspect_raw_files(
            '{{ tojson(request) | replace("'", "''") }}', '{{ crm_raw_mode() }}'
        ) as verdict
    {%- endset -%}
    {%- set verdict = run_query(sql).columns[0].values()[0] -%}
    {{ return(fromjson(verdict)) }}
{% endmacro %}

{% macro spark__crm_inspect_raw_files(request) %}
    {{ return(crm_python_answer('crm_value.raw_files', ['inspect', crm_raw_mode()], request)) }}
{% endmacro %}
