{#-
    Every distinct raw customer row with its verdict. A row that breaks a rule is
    `rejected` with every reason code; among the valid rows of one customer_id the latest
    `updated_at` wins (`accepted`) and older versions are `superseded`; valid rows that
    tie on the latest `updated_at` but differ are all rejected as `conflicting_version`.
-#}
{{ config(materialized='table') }}

with

deduplicated as (
    {{ crm_deduplicated_raw('customers') }}
),

typed as (
    select
        {{ crm_column_list('customers', prefix='raw_') }},
        n_raw_rows,
        {{ crm_typed_columns('customers') }}
    from deduplicated
),

row_checked as (
    select
        {{ crm_column_list('customers', prefix='raw_') }},
        {{ crm_column_list('customers') }},
        n_raw_rows,
        {{ crm_reason_list(
            crm_contract_reasons('customers')
            + ["case when updated_at < created_at then 'updated_before_created' end"]
            + crm_future_reasons(['created_at', 'updated_at'])
        ) }} as row_reasons
    from typed
),

versioned as (
    select
        {{ crm_column_list('customers', prefix='raw_') }},
        {{ crm_column_list('customers') }},
        n_raw_rows,
        row_reasons,
        -- Valid and invalid rows are ranked apart; final only reads the valid rows' ranks.
        rank() over (
            partition by customer_id, row_reasons is null
            order by updated_at desc
        ) as version_rank,
        count(*) over (
            partition by customer_id, row_reasons is null, updated_at
        ) as rows_sharing_version
    from row_checked
),

final as (
    select
        {{ crm_column_list('customers', prefix='raw_') }},
        {{ crm_column_list('customers') }},
        n_raw_rows,
        version_rank,
        case
            when row_reasons is not null then row_reasons
            when version_rank = 1 and rows_sharing_version > 1 then 'conflicting_version'
        end as reject_reasons
    from versioned
)

select
    {{ crm_column_list('customers') }},
    {{ crm_rejected_raw_columns('customers') }},
    n_raw_rows,
    reject_reasons,
    case
        when reject_reasons is not null then 'rejected'
        when version_rank = 1 then 'accepted'
        else 'superseded'
    end as row_outcome
from final
