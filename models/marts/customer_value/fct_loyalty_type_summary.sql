{{ crm_tier_summary('loyalty_type') }}
