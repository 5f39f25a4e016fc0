{#-
    The validation of an entity that belongs to a customer (orders, receivables, service
    tickets, surveys): one row per distinct raw row of every batch still listed, with its
    verdict. The batch store has judged each row on its own (`static_reasons`); on every
    build the rules that depend on other rows, the customers or the clock are added:
      - `unknown_customer`: the customer is not among the accepted customers;
      - `conflicting_duplicate`: two distinct rows of one file share the key; both are
        rejected;
      - `future_<column>`: an `event_columns` timestamp later than the build's clock allows.
    Among a key's valid rows, the one from the latest batch (file path order) is
    `accepted` and the older ones are `superseded`: a later file's row replaces the key's
    row from earlier files (an order's status changing from completed to returned). With
    one batch (a single file, the demo) there is nothing to supersede.
-#}
{% macro crm_validate_customer_fact(entity, event_columns) %}
{%- set key = crm_raw_entity(entity).key -%}
{%- set listing = crm_raw_listing(entity) -%}
{%- set reject_reasons = crm_reason_list(
    ['static_reasons',
     "case when customer_id is not null and not is_known_customer then 'unknown_customer' end",
     "case when " ~ key ~ " is not null and rows_sharing_key > 1 then 'conflicting_duplicate' end"]
    + crm_future_reasons(event_columns)
) %}
with

batches as (
    select * from {{ ref('base_crm__' ~ entity ~ '_batches') }}
),

customers as (
    select customer_id from {{ ref('stg_crm__customers') }}
),

checked as (
    select
        batches.*,
        customers.customer_id is not null as is_known_customer
    from batches
    left join customers
        on batches.customer_id = customers.customer_id
),

reasoned as (
    select
        batch_file,
        {{ crm_column_list(entity, prefix='raw_') }},
        {{ crm_column_list(entity) }},
        n_raw_rows,
        raw_kept,
        {{ reject_reasons }} as reject_reasons
    from checked
),

{%- if listing.files | length > 1 %}

later_keys as (
    -- Only a key that a file after the first holds can have a row in two files: the
    -- rest of the store (the first file, a full export's bulk) needs no comparison.
    select distinct {{ key }}
    from batches
    where batch_file > {{ crm_text_literal(listing.files[0].file) }}
),

contested_checked as (
    -- The rows of those keys in every file, checked as `checked` checks them.
    select
        batches.*,
        customers.customer_id is not null as is_known_customer
    from batches
    inner join later_keys
        on batches.{{ key }} = later_keys.{{ key }}
    left join customers
        on batches.customer_id = customers.customer_id
),

contested as (
    select
        batch_file,
        {{ key }},
        {{ reject_reasons }} as reject_reasons
    from contested_checked
),

latest_files as (
    -- Among a key's valid rows, the latest file's wins.
    select
        {{ key }},
        max(batch_file) as latest_file
    from contested
    where reject_reasons is null
    group by {{ key }}
),

versioned as (
    select
        reasoned.*,
        coalesce(
            reasoned.reject_reasons is null
            and reasoned.batch_file < latest_files.latest_file,
            false
        ) as is_superseded
    from reasoned
    left join latest_files
        on reasoned.{{ key }} = latest_files.{{ key }}
)
{%- else %}

versioned as (
    select
        *,
        false as is_superseded
    from reasoned
)
{%- endif %}

select
    batch_file,
    {{ crm_column_list(entity) }},
    {{ crm_rejected_raw_columns(entity) }},
    n_raw_rows,
    reject_reasons,
    case
        when reject_reasons is not null then 'rejected'
        when is_superseded then 'superseded'
        else 'accepted'
    end as row_outcome
from versioned
{% endmacro %}
