with

validated as (
    select * from {{ ref('base_crm__customers_validated') }}
),

final as (
    select
        {{ crm_column_list('customers') }}
    from validated
    where row_outcome = 'accepted'
)

select * from final
