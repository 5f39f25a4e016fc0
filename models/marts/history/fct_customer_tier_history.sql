{#-
    One row per (as_of_date, customer_id): every tier the customer held at that snapshot.
    This build's own date comes from dim_customers; every other date from the history
    store (crm_tier_history_store), which only audited, published builds write. Rebuilding
    a date replaces that date's rows and leaves the others as they were stored.

    Kept incrementally by date (crm_tier_history_config): a build writes its own date and
    only the stored dates the table does not already hold as stored, so a daily build does
    not rewrite the history; a full build (--full-refresh) reads every stored date and
    gives the same rows.
-#}
{{ config(**crm_tier_history_config()) }}
{%- set stored_dates_to_write = crm_tier_history_dates_to_write() -%}

with

analysis_date as (
    select as_of_date
    from {{ ref('int_analysis_date_resolved') }}
),

this_snapshot as (
    {{ crm_tier_snapshot() }}
),

stored_snapshots as (
    {{ crm_tier_history_store() }}
),

earlier_snapshots as (
    select stored_snapshots.*
    from stored_snapshots
    where stored_snapshots.as_of_date not in (select analysis_date.as_of_date from analysis_date)
    {%- if is_incremental() %}
        {%- if stored_dates_to_write %}
            and stored_snapshots.as_of_date in (
                {%- for day in stored_dates_to_write %}cast('{{ day }}' as date){{ ', ' if not loop.last }}{% endfor -%}
            )
        {%- else %}
            and false
        {%- endif %}
    {%- endif %}
),

final as (
    select * from this_snapshot
    union all
    select * from earlier_snapshots
)

select * from final
