{#-
    How fct_customer_tier_history is kept: an incremental table whose unit of change is
    one snapshot date. A build writes its own date and the stored dates the table does not
    hold as the store has them, nothing else, so a daily build does not rewrite the whole
    history: dbt's `delete+insert` keyed by the date.
-#}
{% macro crm_tier_history_config() %}
    {{ return(adapter.dispatch('crm_tier_history_config', 'crm_value')()) }}
{% endmacro %}

{% macro default__crm_tier_history_config() %}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': 'as_of_date',
        'on_schema_change': 'fail',
        'pre_hook': "{{ crm_forget_unstored_history_dates() }}",
    }) }}
{% endmacro %}

{#-
    On Spark the mart is a plain Parquet table, rebuilt whole from the store and this
    build's snapshot (what a full build gives on DuckDB). Its incremental form would be
    `insert_overwrite` of the dates' partitions, as Parquet tables cannot `delete`; but
    Spark moves partition columns to the end, and the mart's columns would no longer be in
    the contract's order.
-#}
{% macro spark__crm_tier_history_config() %}
    {{ return({
        'materialized': 'table',
        'file_format': 'parquet',
    }) }}
{% endmacro %}

{#-
    The stored dates this build (re)writes into the history mart, as a list of 'YYYY-MM-DD':
    every stored date but this build's own that the table lacks, or holds other rows for
    than the stored file (by row count and an order-free hash of every column, both read
    through the mart's types). A full build (first, or --full-refresh) writes every date
    and needs no list. The comparison reads the store and the table once: far cheaper than
    writing them, and it trusts nothing but the rows.
-#}
{% macro crm_tier_history_dates_to_write() %}
    {%- if not execute or not is_incremental() -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set row_hash = 'sum(hash(' ~ (crm_tier_history_columns() | join(', ')) ~ '))' -%}
    {%- set found = run_query(
        "with stored as (select as_of_date, count(*) as n, " ~ row_hash ~ " as h from ("
        ~ crm_tier_history_store() ~ ") as stored group by all), "
        ~ "held as (select as_of_date, count(*) as n, " ~ row_hash ~ " as h from "
        ~ this ~ " group by all) "
        ~ "select cast(stored.as_of_date as varchar) from stored "
        ~ "left join held on stored.as_of_date = held.as_of_date "
        ~ "where stored.as_of_date <> (select as_of_date from " ~ ref('int_analysis_date_resolved') ~ ") "
        ~ "and (held.as_of_date is null or held.n <> stored.n or held.h <> stored.h) "
        ~ "order by 1") -%}
    {%- set dates = found.columns[0].values() | list -%}
    {{ log("fct_customer_tier_history: this build's date and " ~ (dates | length)
        ~ " stored date(s) written", info=True) }}
    {{ return(dates) }}
{% endmacro %}

{#-
    Before the history mart is written incrementally: the rows of dates that have no rows
    in the store and are not this build's own are deleted (a store set aside, a file
    removed by hand, a stored file with no rows), so the table is what a full build would
    give.
-#}
{% macro crm_forget_unstored_history_dates() %}
    {%- if execute and is_incremental() -%}
        delete from {{ this }}
        where as_of_date <> (select as_of_date from {{ ref('int_analysis_date_resolved') }})
            and as_of_date not in (
                select stored.as_of_date
                from ({{ crm_tier_history_store() }}) as stored
                where stored.as_of_date is not null
            )
    {%- endif -%}
{% endmacro %}
