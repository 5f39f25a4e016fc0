{#-
    Every distinct raw customer row with its verdict. A row that breaks a rule is
    `rejected` with every reason code (the batch store's `static_reasons`, and
    `future_created_at` / `future_updated_at` past the build's clock); among the valid rows
    of one customer_id the latest `updated_at` wins (`accepted`) and older versions are
    `superseded`; valid rows that tie on the latest `updated_at` but differ are all
    rejected as `conflicting_version`. Versions are compared across every file read; the
    same row delivered in two files is one version, its latest copy accepted and the
    earlier ones superseded.
    Version columns, valid and invalid rows ranked apart (only the valid rows' ranks are
    read): `version_rank` (1 = the latest `updated_at`), `rows_sharing_version` (distinct
    rows at that `updated_at`, by their typed values across files; more than one is a
    conflict) and `copy_rank` (1 = the latest file's copy of a row delivered more than
    once). With one file every row is distinct, so the copies need no ranking.
-#}
{{ config(materialized='table') }}
{%- set several_files = crm_raw_listing('customers').files | length > 1 %}

with

batches as (
    select * from {{ ref('base_crm__customers_batches') }}
),

row_checked as (
    select
        batch_file,
        raw_customer_id,
        raw_customer_name,
        raw_customer_type,
        raw_region,
        raw_city,
        raw_industry,
        raw_acquisition_channel,
        raw_email,
        raw_phone,
        raw_created_at,
        raw_updated_at,
        customer_id,
        customer_name,
        customer_type,
        region,
        city,
        industry,
        acquisition_channel,
        email,
        phone,
        created_at,
        updated_at,
        n_raw_rows,
        raw_kept,
        nullif(concat_ws(
            ',',
            static_reasons,
            case when created_at > {{ crm_future_limit() }} then 'future_created_at' end,
            case when updated_at > {{ crm_future_limit() }} then 'future_updated_at' end
        ), '') as row_reasons
    from batches
),

versioned as (
    select
        batch_file,
        raw_customer_id,
        raw_customer_name,
        raw_customer_type,
        raw_region,
        raw_city,
        raw_industry,
        raw_acquisition_channel,
        raw_email,
        raw_phone,
        raw_created_at,
        raw_updated_at,
        customer_id,
        customer_name,
        customer_type,
        region,
        city,
        industry,
        acquisition_channel,
        email,
        phone,
        created_at,
        updated_at,
        n_raw_rows,
        raw_kept,
        row_reasons,
        rank() over (
            partition by customer_id, row_reasons is null
            order by updated_at desc
        ) as version_rank,
        {%- if several_files %}
            row_number() over (
                partition by customer_id, row_reasons is null
                order by updated_at desc, batch_file desc
            ) as copy_rank,
            count(distinct hash(
                customer_id,
                customer_name,
                customer_type,
                region,
                city,
                industry,
                acquisition_channel,
                email,
                phone,
                created_at,
                updated_at
            )) over (
                partition by customer_id, row_reasons is null, updated_at
            ) as rows_sharing_version
        {%- else %}
            1 as copy_rank,
            count(*) over (
                partition by customer_id, row_reasons is null, updated_at
            ) as rows_sharing_version
        {%- endif %}
    from row_checked
),

final as (
    select
        batch_file,
        raw_customer_id,
        raw_customer_name,
        raw_customer_type,
        raw_region,
        raw_city,
        raw_industry,
        raw_acquisition_channel,
        raw_email,
        raw_phone,
        raw_created_at,
        raw_updated_at,
        customer_id,
        customer_name,
        customer_type,
        region,
        city,
        industry,
        acquisition_channel,
        email,
        phone,
        created_at,
        updated_at,
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
    customer_id,
    customer_name,
    customer_type,
    region,
    city,
    industry,
    acquisition_channel,
    email,
    phone,
    created_at,
    updated_at,
    {{ crm_rejected_raw('customer_id') }} as raw_customer_id,
    {{ crm_rejected_raw('customer_name') }} as raw_customer_name,
    {{ crm_rejected_raw('customer_type') }} as raw_customer_type,
    {{ crm_rejected_raw('region') }} as raw_region,
    {{ crm_rejected_raw('city') }} as raw_city,
    {{ crm_rejected_raw('industry') }} as raw_industry,
    {{ crm_rejected_raw('acquisition_channel') }} as raw_acquisition_channel,
    {{ crm_rejected_raw('email') }} as raw_email,
    {{ crm_rejected_raw('phone') }} as raw_phone,
    {{ crm_rejected_raw('created_at') }} as raw_created_at,
    {{ crm_rejected_raw('updated_at') }} as raw_updated_at,
    n_raw_rows,
    reject_reasons,
    case
        when reject_reasons is not null then 'rejected'
        when version_rank = 1 and copy_rank = 1 then 'accepted'
        else 'superseded'
    end as row_outcome
from final
