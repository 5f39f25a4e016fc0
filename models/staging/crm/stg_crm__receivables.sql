with

validated as (
    select * from {{ ref('base_crm__receivables_validated') }}
),

final as (
    select
        invoice_id,
        customer_id,
        issued_at,
        due_at,
        amount,
        paid_amount,
        paid_at,
        amount - paid_amount as outstanding_amount
    from validated
    where row_outcome = 'accepted'
)

select * from final
