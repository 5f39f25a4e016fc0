{#-
    Every distinct raw receivable row of every batch still listed, with its verdict. The
    batch store has judged each row on its own (`static_reasons`); on every build the rules
    that depend on other rows, the customers or the clock are added:
      - `unknown_customer`: the customer is not among the accepted customers;
      - `conflicting_duplicate`: two distinct rows of one file share the invoice_id; both
        are rejected;
      - `future_<column>`: issued_at, paid_at later than the build's clock allows
        (crm_future_limit).
    Among the valid rows of one invoice_id, the one from the latest batch (file path order) is
    `accepted` and the older ones are `superseded`: a later file's row replaces the key's
    row from earlier files. With one batch (a single file, the demo) there is nothing to
    supersede: no key is in a later file.
-#}
{{ config(materialized='table') }}
{%- set listing = crm_raw_listing('receivables') %}
{#- The row's reasons: the batch store's, then the rules of other rows and the clock. -#}
{%- set reject_reasons %}
nullif(concat_ws(
    ',',
    static_reasons,
    case when customer_id is not null and not is_known_customer then 'unknown_customer' end,
    case when invoice_id is not null and rows_sharing_key > 1 then 'conflicting_duplicate' end,
    case when issued_at > {{ crm_future_limit() }} then 'future_issued_at' end,
    case when paid_at > {{ crm_future_limit() }} then 'future_paid_at' end
), '')
{%- endset %}

with

batches as (
    select * from {{ ref('base_crm__receivables_batches') }}
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
        raw_invoice_id,
        raw_customer_id,
        raw_issued_at,
        raw_due_at,
        raw_amount,
        raw_paid_amount,
        raw_paid_at,
        invoice_id,
        customer_id,
        issued_at,
        due_at,
        amount,
        paid_amount,
        paid_at,
        n_raw_rows,
        raw_kept,
        {{ reject_reasons }} as reject_reasons
    from checked
),

-- Among a key's valid rows, the latest file's wins; older ones are superseded.
{{ crm_latest_file_wins('invoice_id', reject_reasons, listing) }}

select
    batch_file,
    invoice_id,
    customer_id,
    issued_at,
    due_at,
    amount,
    paid_amount,
    paid_at,
    {{ crm_rejected_raw('invoice_id') }} as raw_invoice_id,
    {{ crm_rejected_raw('customer_id') }} as raw_customer_id,
    {{ crm_rejected_raw('issued_at') }} as raw_issued_at,
    {{ crm_rejected_raw('due_at') }} as raw_due_at,
    {{ crm_rejected_raw('amount') }} as raw_amount,
    {{ crm_rejected_raw('paid_amount') }} as raw_paid_amount,
    {{ crm_rejected_raw('paid_at') }} as raw_paid_at,
    n_raw_rows,
    reject_reasons,
    case
        when reject_reasons is not null then 'rejected'
        when is_superseded then 'superseded'
        else 'accepted'
    end as row_outcome
from versioned
