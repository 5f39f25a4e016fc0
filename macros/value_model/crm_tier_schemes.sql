{#- Every classification scheme with tiers in the tier-strategy seed, in documentation order. -#}
{% macro crm_tier_schemes() %}
    {{ return([
        'abc', 'pyramid', 'rfm8', 'rfm_segment', 'loyalty_type', 'lifecycle_stage', 'quality',
        'purchasing_power', 'purchase_frequency', 'purchase_potential', 'satisfaction',
        'loyalty', 'churn_risk',
    ]) }}
{% endmacro %}
