with

validated as (
    select * from {{ ref('base_crm__surveys_validated') }}
),

final as (
    select
        response_id,
        customer_id,
        responded_at,
        expectation_score,
        perception_score,
        recommend_score
    from validated
    where row_outcome = 'accepted'
)

select * from final
