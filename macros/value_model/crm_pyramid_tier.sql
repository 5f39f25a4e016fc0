{#-
    The customer-pyramid tier. A paying customer has a `paying_rank` (1 = most valuable)
    among `paying_count` paying customers: top when rank <= first cut x count, big when
    <= second cut, medium when <= third cut, else small (var pyramid_cuts), compared
    exactly. A customer with no paying rank is 'inactive' when `has_valid_order`, else
    'prospect'.
-#}
{% macro crm_pyramid_tier(paying_rank, paying_count, has_valid_order) %}
    {%- do crm_validate_pyramid_vars() -%}
    {%- set cuts = var('pyramid_cuts') -%}
    case
        when {{ paying_rank }} is null then
            case when {{ has_valid_order }} then 'inactive' else 'prospect' end
        when {{ paying_rank }} <= {{ paying_count }} * {{ cuts[0] }} then 'top'
        when {{ paying_rank }} <= {{ paying_count }} * {{ cuts[1] }} then 'big'
        when {{ paying_rank }} <= {{ paying_count }} * {{ cuts[2] }} then 'medium'
        else 'small'
    end
{% endmacro %}
