{{ crm_rejected_rows('orders') }}
