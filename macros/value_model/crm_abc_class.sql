{#-
    The ABC class from the measure held by the customers ranked strictly before this one
    (`cum_before`) and the `total`: A while cum_before < abc_a_share of the total, B while
    < abc_b_share, else C. The customer who crosses a boundary stays in the upper class.
    Compared in exact decimal arithmetic, never as a floating-point share.
-#}
{% macro crm_abc_class(cum_before, total) %}
    {%- do crm_validate_abc_vars() -%}
    case
        when {{ cum_before }} < {{ total }} * {{ var('abc_a_share') }} then 'A'
        when {{ cum_before }} < {{ total }} * {{ var('abc_b_share') }} then 'B'
        else 'C'
    end
{% endmacro %}
