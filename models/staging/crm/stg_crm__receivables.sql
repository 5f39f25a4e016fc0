with

validated as (
    select * from {{ ref('base_crm__receivables_validated') }}
),

final as (
    select
        {{ crm_column_list('receivables') }},
        amount - paid_amount as outstanding_amount
    from validated
    where row_outcome = 'accepted'
)

select * from final
