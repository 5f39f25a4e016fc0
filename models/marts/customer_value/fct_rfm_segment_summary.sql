{{ crm_tier_summary('rfm_segment') }}
