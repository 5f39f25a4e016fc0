{#- `future_<column>` for each event timestamp later than crm_future_limit(). -#}
{% macro crm_future_reasons(columns) %}
    {%- set reasons = [] -%}
    {%- for column in columns -%}
        {%- do reasons.append("case when " ~ column ~ " > " ~ crm_future_limit()
            ~ " then 'future_" ~ column ~ "' end") -%}
    {%- endfor -%}
    {{ return(reasons) }}
{% endmacro %}
