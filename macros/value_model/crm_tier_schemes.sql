{#- Every classification scheme with tiers in the tier-strategy seed (crm_tier_scheme_columns), in documentation order. -#}
{% macro crm_tier_schemes() %}
    {{ return(crm_tier_scheme_columns().keys() | list) }}
{% endmacro %}
