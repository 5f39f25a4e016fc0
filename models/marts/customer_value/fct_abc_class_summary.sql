{{ crm_tier_summary('abc') }}
