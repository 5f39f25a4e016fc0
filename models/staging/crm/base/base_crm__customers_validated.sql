{#-
    Every distinct raw customer row with its verdict. A row that breaks a rule is
    `rejected` with every reason code; among the valid rows of one customer_id the latest
    `updated_at` wins (`accepted`) and older versions are `superseded`; valid rows that
    tie on the latest `updated_at` but differ are all rejected as `conflicting_version`.
    Versions are compared across every file read; the same row delivered in two files is
    one version, its latest copy accepted and the earlier ones superseded
    (crm_customer_versions).
-#}
{{ config(materialized='table') }}

with

batches as (
    select * from {{ ref('base_crm__customers_batches') }}
),

row_checked as (
    select
        batch_file,
        {{ crm_column_list('customers', prefix='raw_') }},
        {{ crm_column_list('customers') }},
        n_raw_rows,
        raw_kept,
        {{ crm_reason_list(
            ['static_reasons'] + crm_future_reasons(['created_at', 'updated_at'])
        ) }} as row_reasons
    from batches
),

versioned as (
    select
        batch_file,
        {{ crm_column_list('customers', prefix='raw_') }},
        {{ crm_column_list('customers') }},
        n_raw_rows,
        raw_kept,
        row_reasons,
        {{ crm_customer_versions(several_files=crm_raw_listing('customers').files | length > 1) }}
    from row_checked
),

final as (
    select
        batch_file,
        {{ crm_column_list('customers', prefix='raw_') }},
        {{ crm_column_list('customers') }},
        n_raw_rows,
        raw_kept,
        version_rank,
        copy_rank,
        case
            when row_reasons is not null then row_reasons
            when version_rank = 1 and rows_sharing_version > 1 then 'conflicting_version'
        end as reject_reasons
    from versioned
)

select
    batch_file,
    {{ crm_column_list('customers') }},
    {{ crm_rejected_raw_columns('customers') }},
    n_raw_rows,
    reject_reasons,
    case
        when reject_reasons is not null then 'rejected'
        when version_rank = 1 and copy_rank = 1 then 'accepted'
        else 'superseded'
    end as row_outcome
from final
