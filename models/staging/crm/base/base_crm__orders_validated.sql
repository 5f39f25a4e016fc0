{#- Every distinct raw order row with its verdict (see crm_validate_customer_fact). -#}
{{ config(materialized='table') }}

{{ crm_validate_customer_fact('orders', event_columns=['ordered_at']) }}
