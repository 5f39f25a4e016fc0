{{ crm_rejected_rows('surveys') }}
