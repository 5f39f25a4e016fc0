{#- Validate rfm_score_method, the fixed-method edges and rfm8_baseline. Raises a compiler error naming the var. -#}
{% macro crm_validate_rfm_vars() %}
    {%- do crm_require_choice('rfm_score_method', var('rfm_score_method'), ['quantile', 'fixed']) -%}
    {%- do crm_require_ascending('rfm_recency_edges', var('rfm_recency_edges'), 4, 0, 36600) -%}
    {%- do crm_require_ascending('rfm_frequency_edges', var('rfm_frequency_edges'), 4, 0, 1000000000) -%}
    {%- do crm_require_ascending('rfm_monetary_edges', var('rfm_monetary_edges'), 4, 0, 1000000000000000) -%}
    {%- do crm_require_choice('rfm8_baseline', var('rfm8_baseline'), ['mean', 'median']) -%}
{% endmacro %}
