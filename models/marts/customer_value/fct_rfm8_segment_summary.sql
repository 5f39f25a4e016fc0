{{ crm_tier_summary('rfm8') }}
