{#-
    The dim_customers column that holds a customer's tier in `scheme`: the one place that
    maps a scheme to its label. Every scheme here has its rows in the tier-strategy seed.
-#}
{% macro crm_scheme_tier_column(scheme) %}
    {%- set columns = {
        'abc': 'abc_class',
        'pyramid': 'pyramid_tier',
        'rfm8': 'rfm8_segment',
        'rfm_segment': 'rfm_segment',
        'loyalty_type': 'loyalty_type',
        'lifecycle_stage': 'lifecycle_stage',
        'quality': 'quality_tier',
        'purchasing_power': 'purchasing_power',
        'purchase_frequency': 'purchase_frequency',
        'purchase_potential': 'purchase_potential',
        'satisfaction': 'satisfaction',
        'loyalty': 'loyalty',
        'churn_risk': 'churn_risk',
    } -%}
    {%- if scheme not in columns -%}
        {{ exceptions.raise_compiler_error(
            "Unknown tier scheme '" ~ scheme ~ "'; schemes: " ~ (columns.keys() | list | join(', '))) }}
    {%- endif -%}
    {{ return(columns[scheme]) }}
{% endmacro %}
