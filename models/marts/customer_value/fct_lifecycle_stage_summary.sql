{{ crm_tier_summary('lifecycle_stage') }}
