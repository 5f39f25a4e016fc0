{{ crm_tier_summary('pyramid') }}
