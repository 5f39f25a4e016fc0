with

validated as (
    select * from {{ ref('base_crm__orders_validated') }}
),

final as (
    select
        {{ crm_column_list('orders') }},
        cast(ordered_at as date) as ordered_date,
        status = 'completed' as is_completed,
        amount - cost as margin
    from validated
    where row_outcome = 'accepted'
)

select * from final
