{#- Every distinct raw survey response with its verdict (see crm_validate_customer_fact). -#}
{{ config(materialized='table') }}

{{ crm_validate_customer_fact('surveys', event_columns=['responded_at']) }}
