{#-
    Every distinct raw service ticket row of every batch still listed, with its verdict. The
    batch store has judged each row on its own (`static_reasons`); on every build the rules
    that depend on other rows, the customers or the clock are added:
      - `unknown_customer`: the customer is not among the accepted customers;
      - `conflicting_duplicate`: two distinct rows of one file share the ticket_id; both
        are rejected;
      - `future_<column>`: opened_at, closed_at later than the build's clock allows
        (crm_future_limit).
    Among the valid rows of one ticket_id, the one from the latest batch (file path order) is
    `accepted` and the older ones are `superseded`: a later file's row replaces the key's
    row from earlier files. With one batch (a single file, the demo) there is nothing to
    supersede: no key is in a later file.
-#}
{{ config(materialized='table') }}
{%- set listing = crm_raw_listing('service_tickets') %}
{#- The row's reasons: the batch store's, then the rules of other rows and the clock. -#}
{%- set reject_reasons %}
nullif(concat_ws(
    ',',
    static_reasons,
    case when customer_id is not null and not is_known_customer then 'unknown_customer' end,
    case when ticket_id is not null and rows_sharing_key > 1 then 'conflicting_duplicate' end,
    case when opened_at > {{ crm_future_limit() }} then 'future_opened_at' end,
    case when closed_at > {{ crm_future_limit() }} then 'future_closed_at' end
), '')
{%- endset %}

with

batches as (
    select * from {{ ref('base_crm__service_tickets_batches') }}
),

customers as (
    select customer_id from {{ ref('base_crm__customers_validated') }}
    where row_outcome = 'accepted'
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
        raw_ticket_id,
        raw_customer_id,
        raw_opened_at,
        raw_closed_at,
        raw_ticket_type,
        raw_handling_minutes,
        ticket_id,
        customer_id,
        opened_at,
        closed_at,
        ticket_type,
        handling_minutes,
        n_raw_rows,
        raw_kept,
        {{ reject_reasons }} as reject_reasons
    from checked
),

-- Among a key's valid rows, the latest file's wins; older ones are superseded.
{{ crm_latest_file_wins('ticket_id', reject_reasons, listing) }}

select
    batch_file,
    ticket_id,
    customer_id,
    opened_at,
    closed_at,
    ticket_type,
    handling_minutes,
    {{ crm_rejected_raw('ticket_id') }} as raw_ticket_id,
    {{ crm_rejected_raw('customer_id') }} as raw_customer_id,
    {{ crm_rejected_raw('opened_at') }} as raw_opened_at,
    {{ crm_rejected_raw('closed_at') }} as raw_closed_at,
    {{ crm_rejected_raw('ticket_type') }} as raw_ticket_type,
    {{ crm_rejected_raw('handling_minutes') }} as raw_handling_minutes,
    n_raw_rows,
    reject_reasons,
    case
        when reject_reasons is not null then 'rejected'
        when is_superseded then 'superseded'
        else 'accepted'
    end as row_outcome
from versioned
