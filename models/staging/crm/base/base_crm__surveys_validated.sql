{#-
    Every distinct raw survey response row of every batch still listed, with its verdict. The
    batch store has judged each row on its own (`static_reasons`); on every build the rules
    that depend on other rows, the customers or the clock are added:
      - `unknown_customer`: the customer is not among the accepted customers;
      - `conflicting_duplicate`: two distinct rows of one file share the response_id; both
        are rejected;
      - `future_<column>`: responded_at later than the build's clock allows
        (crm_future_limit).
    Among the valid rows of one response_id, the one from the latest batch (file path order) is
    `accepted` and the older ones are `superseded`: a later file's row replaces the key's
    row from earlier files. With one batch (a single file, the demo) there is nothing to
    supersede: no key is in a later file.
-#}
{{ config(materialized='table') }}
{%- set listing = crm_raw_listing('surveys') %}
{#- The row's reasons: the batch store's, then the rules of other rows and the clock. -#}
{%- set reject_reasons %}
nullif(concat_ws(
    ',',
    static_reasons,
    case when customer_id is not null and not is_known_customer then 'unknown_customer' end,
    case when response_id is not null and rows_sharing_key > 1 then 'conflicting_duplicate' end,
    case when responded_at > {{ crm_future_limit() }} then 'future_responded_at' end
), '')
{%- endset %}

with

batches as (
    select * from {{ ref('base_crm__surveys_batches') }}
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
        raw_response_id,
        raw_customer_id,
        raw_responded_at,
        raw_expectation_score,
        raw_perception_score,
        raw_recommend_score,
        response_id,
        customer_id,
        responded_at,
        expectation_score,
        perception_score,
        recommend_score,
        n_raw_rows,
        raw_kept,
        {{ reject_reasons }} as reject_reasons
    from checked
),

-- Among a key's valid rows, the latest file's wins; older ones are superseded.
{{ crm_latest_file_wins('response_id', reject_reasons, listing) }}

select
    batch_file,
    response_id,
    customer_id,
    responded_at,
    expectation_score,
    perception_score,
    recommend_score,
    {{ crm_rejected_raw('response_id') }} as raw_response_id,
    {{ crm_rejected_raw('customer_id') }} as raw_customer_id,
    {{ crm_rejected_raw('responded_at') }} as raw_responded_at,
    {{ crm_rejected_raw('expectation_score') }} as raw_expectation_score,
    {{ crm_rejected_raw('perception_score') }} as raw_perception_score,
    {{ crm_rejected_raw('recommend_score') }} as raw_recommend_score,
    n_raw_rows,
    reject_reasons,
    case
        when reject_reasons is not null then 'rejected'
        when is_superseded then 'superseded'
        else 'accepted'
    end as row_outcome
from versioned
