with

validated as (
    select * from {{ ref('base_crm__customers_validated') }}
),

final as (
    select
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
    from validated
    where row_outcome = 'accepted'
)

select * from final
