{{ crm_rejected_rows('customers') }}
