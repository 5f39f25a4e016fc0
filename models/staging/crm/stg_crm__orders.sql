with

validated as (
    select * from {{ ref('base_crm__orders_validated') }}
),

final as (
    select
        order_id,
        customer_id,
        ordered_at,
        status,
        quantity,
        amount,
        cost,
        channel,
        cast(ordered_at as date) as ordered_date,
        status = 'completed' as is_completed,
        amount - cost as margin
    from validated
    where row_outcome = 'accepted'
)

select * from final
