{#-
    True when `column` is on the good side of its baseline over all rows of the query:
    above it when `better` is 'higher', below it when 'lower'. Baseline: var rfm8_baseline.
-#}
{% macro crm_rfm8_is_high(column, better) %}
    {%- set op = '>' if better == 'higher' else '<' -%}
    {%- if var('rfm8_baseline') == 'mean' -%}
        ({{ column }} * count(*) over () {{ op }} sum({{ column }}) over ())
    {%- else -%}
        ({{ column }} {{ op }} {{ crm_median(column) }} over ())
    {%- endif -%}
{% endmacro %}
