{{ crm_rejected_rows('receivables') }}
