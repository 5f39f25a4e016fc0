{#- The combined F-M score of the named-segment grid: ceil((f_score + m_score) / 2), in integers. -#}
{% macro crm_fm_score(f_score, m_score) %}
    {{ crm_int_div('(' ~ f_score ~ ') + (' ~ m_score ~ ') + 1', '2') }}
{% endmacro %}
