{#- Every distinct raw receivable row with its verdict (see crm_validate_customer_fact). -#}
{{ config(materialized='table') }}

{{ crm_validate_customer_fact(
    'receivables',
    rules=[
        "case when due_at < issued_at then 'due_before_issued' end",
        "case when amount < 0 then 'negative_amount' end",
        "case when paid_amount < 0 then 'negative_paid_amount' end",
        "case when paid_amount > amount then 'paid_exceeds_amount' end",
        "case when paid_at is not null and paid_amount < amount then 'paid_at_before_full_payment' end",
    ],
    event_columns=['issued_at', 'paid_at'],
) }}
