{{ crm_rejected_rows('service_tickets') }}
