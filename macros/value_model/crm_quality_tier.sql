{#- The quality tier of a paying customer: 'quality' (top quality_top_share by score), else 'unprofitable' (net value below zero), else 'standard'. -#}
{% macro crm_quality_tier(is_quality_customer, is_unprofitable) %}
    case
        when {{ is_quality_customer }} then 'quality'
        when {{ is_unprofitable }} then 'unprofitable'
        else 'standard'
    end
{% endmacro %}
