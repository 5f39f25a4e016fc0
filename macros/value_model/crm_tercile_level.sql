{#-
    The tercile level of a measure: `value_rank` is its rank() ascending among the
    `population` customers it is defined for (null: not ranked). percent_rank =
    (rank - 1) / (population - 1) is 'high' at or above 2/3 and 'medium' at or above 1/3,
    compared in integers so no engine's floating point moves a boundary; a population of
    one ranks 0, 'low'; no rank is 'unknown'.
-#}
{% macro crm_tercile_level(value_rank, population) %}
    case
        when {{ value_rank }} is null then 'unknown'
        when {{ population }} = 1 then 'low'
        when 3 * ({{ value_rank }} - 1) >= 2 * ({{ population }} - 1) then 'high'
        when 3 * ({{ value_rank }} - 1) >= {{ population }} - 1 then 'medium'
        else 'low'
    end
{% endmacro %}
