{#-
    The dim_customers column that holds a customer's tier in `scheme` (abc, pyramid, rfm8,
    rfm_segment): the one place that maps a scheme to its label.
-#}
{% macro crm_scheme_tier_column(scheme) %}
    {%- set columns = {
        'abc': 'abc_class',
        'pyramid': 'pyramid_tier',
        'rfm8': 'rfm8_segment',
        'rfm_segment': 'rfm_segment',
    } -%}
    {%- if scheme not in columns -%}
        {{ exceptions.raise_compiler_error(
            "Unknown tier scheme '" ~ scheme ~ "'; schemes: " ~ (columns.keys() | list | join(', '))) }}
    {%- endif -%}
    {{ return(columns[scheme]) }}
{% endmacro %}
