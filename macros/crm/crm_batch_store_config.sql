{#-
    How a batch store (base_crm__<entity>_batches) is kept: an incremental table whose
    unit of change is one raw file. A build writes the rows of the files it read and
    replaces the rows of a file it read again, nothing else. On DuckDB that is dbt's
    `delete+insert` keyed by the file; on Spark the same operation is `insert_overwrite`
    of the file's partition (no `merge`, which needs Delta).
-#}
{% macro crm_batch_store_config(entity) %}
    {%- set config = adapter.dispatch('crm_batch_store_config', 'crm_value')() -%}
    {%- do config.update({'pre_hook': "{{ crm_forget_removed_batches('" ~ entity ~ "') }}"}) -%}
    {{ return(config) }}
{% endmacro %}

{% macro default__crm_batch_store_config() %}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': 'batch_file',
        'on_schema_change': 'fail',
    }) }}
{% endmacro %}

{% macro spark__crm_batch_store_config() %}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': ['batch_file'],
        'file_format': 'parquet',
        'on_schema_change': 'fail',
    }) }}
{% endmacro %}

{#-
    Before a batch store is written: with `changed_raw_files: reprocess`, the rows of the
    files that are gone from the folder are deleted (crm_pending_batches has stopped the
    build over them otherwise), so nothing counts them any more.
-#}
{% macro crm_forget_removed_batches(entity) %}
    {%- if execute and is_incremental() -%}
        {%- set removed = crm_pending_batches(entity).removed -%}
        {%- if removed -%}
            {{ return(adapter.dispatch('crm_forget_batches', 'crm_value')(this, removed)) }}
        {%- endif -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{% macro default__crm_forget_batches(relation, files) %}
    delete from {{ relation }} where batch_file in ({{ crm_sql_text_list(files) }})
{% endmacro %}

{% macro spark__crm_forget_batches(relation, files) %}
    {%- set partitions = [] -%}
    {%- for file in files -%}
        {%- do partitions.append("partition (batch_file = " ~ crm_text_literal(file) ~ ")") -%}
    {%- endfor -%}
    alter table {{ relation }} drop if exists {{ partitions | join(', ') }}
{% endmacro %}
