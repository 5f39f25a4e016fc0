{#- Every distinct raw service-ticket row with its verdict (see crm_validate_customer_fact). -#}
{{ config(materialized='table') }}

{{ crm_validate_customer_fact(
    'service_tickets',
    rules=[
        "case when closed_at < opened_at then 'closed_before_opened' end",
        "case when handling_minutes < 0 then 'negative_handling_minutes' end",
    ],
    event_columns=['opened_at', 'closed_at'],
) }}
