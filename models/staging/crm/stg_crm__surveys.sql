with

validated as (
    select * from {{ ref('base_crm__surveys_validated') }}
),

final as (
    select
        {{ crm_column_list('surveys') }}
    from validated
    where row_outcome = 'accepted'
)

select * from final
