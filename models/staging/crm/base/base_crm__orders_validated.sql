{#- Every distinct raw order row with its verdict (see crm_validate_customer_fact). -#}
{{ config(materialized='table') }}

{{ crm_validate_customer_fact(
    'orders',
    rules=[
        "case when quantity < 0 then 'negative_quantity' end",
        "case when amount < 0 then 'negative_amount' end",
        "case when cost < 0 then 'negative_cost' end",
    ],
    event_columns=['ordered_at'],
) }}
