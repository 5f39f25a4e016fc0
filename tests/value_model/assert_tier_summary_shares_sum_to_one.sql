-- In every scheme's summary, the customer shares sum to 1 (and the revenue shares too,
-- when the scheme's customers have revenue), and the customer counts match dim_customers.
{%- set summaries = {
    'abc': 'fct_abc_class_summary',
    'pyramid': 'fct_pyramid_tier_summary',
    'rfm8': 'fct_rfm8_segment_summary',
    'rfm_segment': 'fct_rfm_segment_summary',
    'loyalty_type': 'fct_loyalty_type_summary',
    'lifecycle_stage': 'fct_lifecycle_stage_summary',
    'quality': 'fct_quality_customer_summary',
} %}
{%- for dimension in crm_value_dimensions() %}
    {%- do summaries.update({dimension: 'fct_value_dimension_summary'}) %}
{%- endfor %}
{%- for scheme in crm_tier_schemes() if scheme not in summaries %}
    {{ exceptions.raise_compiler_error("Scheme '" ~ scheme ~ "' has no summary mart in this test.") }}
{%- endfor %}

with

summaries as (
    {% for scheme, model in summaries.items() -%}
        select
            '{{ scheme }}' as scheme,
            sum(share_of_customers) as customer_shares,
            sum(share_of_revenue) as revenue_shares,
            sum(revenue) as revenue,
            coalesce(sum(customers), 0) as customers,
            (
                select count(*) from {{ ref('dim_customers') }}
                where {{ crm_scheme_tier_column(scheme) }} is not null
            ) as expected_customers
        from {{ ref(model) }}
        {%- if model == 'fct_value_dimension_summary' %}
            -- One summary holds all six dimensions, keyed by scheme.
            where scheme = '{{ scheme }}'
        {%- endif %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    scheme,
    customer_shares,
    revenue_shares,
    customers,
    expected_customers
from summaries
where
    customers is distinct from expected_customers
    or (customers > 0 and abs(customer_shares - 1) > 1e-9)
    or (revenue > 0 and abs(revenue_shares - 1) > 1e-9)
