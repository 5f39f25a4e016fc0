with

validated as (
    select * from {{ ref('base_crm__service_tickets_validated') }}
),

final as (
    select
        ticket_id,
        customer_id,
        opened_at,
        closed_at,
        ticket_type,
        handling_minutes,
        ticket_type = 'complaint' as is_complaint
    from validated
    where row_outcome = 'accepted'
)

select * from final
