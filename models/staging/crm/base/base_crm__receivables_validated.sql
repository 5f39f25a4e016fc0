{#- Every distinct raw receivable row with its verdict (see crm_validate_customer_fact). -#}
{{ config(materialized='table') }}

{{ crm_validate_customer_fact('receivables', event_columns=['issued_at', 'paid_at']) }}
