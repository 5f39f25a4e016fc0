{#- percent_rank from `rank_below` (rank - 1, or any points on that scale) among `population` rows: rank_below / (population - 1), 0 for a single row. -#}
{% macro crm_percent_rank(rank_below, population) %}
    case
        when {{ population }} > 1 then cast({{ rank_below }} as double) / ({{ population }} - 1)
        else 0
    end
{% endmacro %}
