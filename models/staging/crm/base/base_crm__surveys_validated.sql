{#- Every distinct raw survey response with its verdict (see crm_validate_customer_fact). -#}
{{ config(materialized='table') }}

{{ crm_validate_customer_fact(
    'surveys',
    rules=[
        "case when expectation_score not between 1 and 10 then 'expectation_score_out_of_range' end",
        "case when perception_score not between 1 and 10 then 'perception_score_out_of_range' end",
        "case when recommend_score not between 0 and 10 then 'recommend_score_out_of_range' end",
    ],
    event_columns=['responded_at'],
) }}
