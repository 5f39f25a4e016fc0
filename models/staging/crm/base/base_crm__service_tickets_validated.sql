{#- Every distinct raw service-ticket row with its verdict (see crm_validate_customer_fact). -#}
{{ config(materialized='table') }}

{{ crm_validate_customer_fact('service_tickets', event_columns=['opened_at', 'closed_at']) }}
