{#-
    The snapshots kept in the history store: one Parquet file per as_of_date in the folder
    CRM_HISTORY_DIR (`crm-value refresh` and `backfill` set it to <serve_dir>/history).
    With the variable unset, or no file yet, it is empty: a plain `dbt build` has the
    history of its own date only. The store outlives every build: only a refresh that
    published, or a backfill date whose build passed, adds a file (DECISIONLOG, "Where
    the history lives").

    A file written by an older version of the project keeps what it has: a column added
    since reads as null, a column dropped since is ignored.
-#}
{% macro crm_tier_history_dir() %}
    {%- set history_dir = env_var('CRM_HISTORY_DIR', '') | trim -%}
    {%- for char in ['*', '?', '[', "'"] if char in history_dir -%}
        {{ exceptions.raise_compiler_error(
            "CRM_HISTORY_DIR '" ~ history_dir ~ "' holds " ~ char ~ ", which the store "
            ~ "reader cannot take literally: rename the folder, or run `crm-value refresh`, "
            ~ "which reads it through a plain alias") }}
    {%- endfor -%}
    {{ return(history_dir) }}
{% endmacro %}

{% macro crm_tier_history_store() %}
    {{ return(adapter.dispatch('crm_tier_history_store', 'crm_value')()) }}
{% endmacro %}

{% macro duckdb__crm_tier_history_store() %}
    {%- set history_dir = crm_tier_history_dir() -%}
    {%- set pattern = history_dir ~ '/*.parquet' -%}
    {%- set stored = none -%}
    {%- if history_dir != '' and execute -%}
        {%- set found = run_query("select count(*) from glob('" ~ pattern ~ "')") -%}
        {%- if found.columns[0].values()[0] > 0 -%}
            {%- set stored = "select * from read_parquet('" ~ pattern ~ "', union_by_name = true)" -%}
        {%- endif -%}
    {%- endif -%}
    {{ crm_typed_tier_history(stored) }}
{% endmacro %}

{#-
    Spark: the store's files through one temporary view that merges their schemas (a
    column an older file lacks reads as null there); a column no stored file has is null.
    Spark reads the folder's own *.parquet files and skips hidden ones (a snapshot being
    written is a hidden file until it is renamed into place).
-#}
{% macro spark__crm_tier_history_store() %}
    {%- set history_dir = crm_tier_history_dir() -%}
    {%- if history_dir == '' or not execute or crm_tier_history_files() | length == 0 -%}
        {{ return(crm_typed_tier_history(none)) }}
    {%- endif -%}
    {%- for char in ['{', '}', '\\'] if char in history_dir -%}
        {{ exceptions.raise_compiler_error(
            "CRM_HISTORY_DIR '" ~ history_dir ~ "' holds " ~ char ~ ", which Spark's reader "
            ~ "takes as a pattern: rename the folder, or run `crm-value refresh`, which reads "
            ~ "it through a plain alias") }}
    {%- endfor -%}
    {%- set view = 'crm_tier_history_stored' -%}
    {%- do run_query(
        "create or replace temporary view " ~ view ~ " using parquet options (path "
        ~ crm_text_literal(history_dir) ~ ", mergeSchema 'true', pathGlobFilter '*.parquet')") -%}
    {%- set have = run_query("select * from " ~ view ~ " limit 0").column_names | map('lower') | list -%}
    {%- set columns = [] -%}
    {%- for column in crm_tier_history_columns() -%}
        {%- do columns.append(column if column in have else 'null as ' ~ column) -%}
    {%- endfor -%}
    {{ return(crm_typed_tier_history("select " ~ columns | join(', ') ~ " from " ~ view, by_name=false)) }}
{% endmacro %}

{#- The history's columns, typed as the mart types them, over `stored_sql` (none: no rows);
    a column a stored file lacks reads as null. `stored_sql` is matched to the columns by
    name, or (by_name false) has exactly the history's columns, in order. -#}
{% macro crm_typed_tier_history(stored_sql, by_name=true) %}
    select
        {% for column in crm_tier_history_columns() -%}
            {{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
    from (
        select * from ({{ crm_tier_snapshot() }}) as typed
        where false
        {%- if stored_sql %}
            union all{{ ' by name' if by_name }}
            {{ stored_sql }}
        {%- endif %}
    ) as snapshots
{% endmacro %}
