{#-
    The eight-type RFM segment. R is high when recency is below the baseline, F and M when
    frequency and monetary are above it; the baseline is the mean or the median over all
    rows of the query (var rfm8_baseline). Means are compared exactly: x * n against the sum.
-#}
{% macro crm_rfm8_segment(recency, frequency, monetary) %}
    {%- do crm_validate_rfm_vars() -%}
    {%- set r_high = crm_rfm8_is_high(recency, 'lower') -%}
    {%- set f_high = crm_rfm8_is_high(frequency, 'higher') -%}
    {%- set m_high = crm_rfm8_is_high(monetary, 'higher') -%}
    case
        when {{ m_high }} then
            case
                when {{ r_high }} and {{ f_high }} then 'important_value'
                when {{ r_high }} then 'important_development'
                when {{ f_high }} then 'important_retention'
                else 'important_winback'
            end
        else
            case
                when {{ r_high }} and {{ f_high }} then 'general_value'
                when {{ r_high }} then 'general_development'
                when {{ f_high }} then 'general_retention'
                else 'general_winback'
            end
    end
{% endmacro %}
