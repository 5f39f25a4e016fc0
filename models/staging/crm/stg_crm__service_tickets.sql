with

validated as (
    select * from {{ ref('base_crm__service_tickets_validated') }}
),

final as (
    select
        {{ crm_column_list('service_tickets') }},
        ticket_type = 'complaint' as is_complaint
    from validated
    where row_outcome = 'accepted'
)

select * from final
