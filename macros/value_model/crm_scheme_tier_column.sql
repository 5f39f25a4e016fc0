{#-
    Every classification scheme with tiers in the tier-strategy seed, mapped to the
    dim_customers column that holds a customer's tier in it: the one place that lists the
    schemes. A value dimension's column is named after it.
-#}
{% macro crm_tier_scheme_columns() %}
    {%- set columns = {
        'abc': 'abc_class',
        'pyramid': 'pyramid_tier',
        'rfm8': 'rfm8_segment',
        'rfm_segment': 'rfm_segment',
        'loyalty_type': 'loyalty_type',
        'lifecycle_stage': 'lifecycle_stage',
        'quality': 'quality_tier',
    } -%}
    {%- for dimension in crm_value_dimensions() -%}
        {%- do columns.update({dimension: dimension}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}

{#- The dim_customers column that holds a customer's tier in `scheme`; an unknown scheme is a compiler error. -#}
{% macro crm_scheme_tier_column(scheme) %}
    {%- set columns = crm_tier_scheme_columns() -%}
    {%- if scheme not in columns -%}
        {{ exceptions.raise_compiler_error(
            "Unknown tier scheme '" ~ scheme ~ "'; schemes: " ~ (columns.keys() | list | join(', '))) }}
    {%- endif -%}
    {{ return(columns[scheme]) }}
{% endmacro %}
