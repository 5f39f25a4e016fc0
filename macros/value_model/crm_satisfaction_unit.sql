{#-
    The unit satisfaction ratios are summed in: 1/2520. Every expectation score the
    contract allows (1..10, checked in base_crm__surveys_validated) divides 2520, so
    perception x (2520 / expectation) is an exact integer; a wider score range needs a
    new unit (the least common multiple of its scores).
-#}
{% macro crm_satisfaction_unit() %}
    {{- return(2520) -}}
{% endmacro %}
