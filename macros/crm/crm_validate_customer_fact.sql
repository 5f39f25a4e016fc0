{#-
    The validation of an entity that belongs to a customer (orders, receivables, service
    tickets, surveys): one row per distinct raw row with its verdict, `accepted` or
    `rejected` with every reason code. On top of the contract's generic checks and the
    entity's own `rules` (SQL expressions yielding a reason code or null):
      - `conflicting_duplicate`: two distinct rows share the key; both are rejected;
      - `unknown_customer`: the customer is not among the accepted customers;
      - `future_<column>`: an `event_columns` timestamp later than the build's clock allows.
-#}
{% macro crm_validate_customer_fact(entity, rules, event_columns) %}
{%- set key = crm_raw_entity(entity).key -%}
with

deduplicated as (
    {{ crm_deduplicated_raw(entity) }}
),

customers as (
    select customer_id from {{ ref('stg_crm__customers') }}
),

typed as (
    select
        {{ crm_column_list(entity, prefix='raw_') }},
        n_raw_rows,
        {{ crm_typed_columns(entity) }}
    from deduplicated
),

checked as (
    select
        {{ crm_column_list(entity, prefix='typed.raw_') }},
        typed.n_raw_rows,
        {{ crm_column_list(entity, prefix='typed.') }},
        customers.customer_id is not null as is_known_customer,
        count(*) over (partition by typed.{{ key }}) as rows_sharing_key
    from typed
    left join customers
        on typed.customer_id = customers.customer_id
),

final as (
    select
        {{ crm_column_list(entity, prefix='raw_') }},
        {{ crm_column_list(entity) }},
        n_raw_rows,
        {{ crm_reason_list(
            crm_contract_reasons(entity)
            + rules
            + ["case when customer_id is not null and not is_known_customer then 'unknown_customer' end",
               "case when " ~ key ~ " is not null and rows_sharing_key > 1 then 'conflicting_duplicate' end"]
            + crm_future_reasons(event_columns)
        ) }} as reject_reasons
    from checked
)

select
    {{ crm_column_list(entity) }},
    {{ crm_rejected_raw_columns(entity) }},
    n_raw_rows,
    reject_reasons,
    case when reject_reasons is null then 'accepted' else 'rejected' end as row_outcome
from final
{% endmacro %}
