{#- NPS class of a 0..10 recommend score: 'promoter' at or above nps_promoter_min, 'detractor' at or below nps_detractor_max, else 'passive'; null without a score. -#}
{% macro crm_nps_class(recommend_score) %}
    {%- do crm_validate_dimension_vars() -%}
    case
        when {{ recommend_score }} is null then null
        when {{ recommend_score }} >= {{ var('nps_promoter_min') }} then 'promoter'
        when {{ recommend_score }} <= {{ var('nps_detractor_max') }} then 'detractor'
        else 'passive'
    end
{% endmacro %}
