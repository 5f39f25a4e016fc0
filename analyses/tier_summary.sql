-- Every scheme's tiers side by side: customers, revenue and their shares, with the labels
-- and priority from the tier-strategy seed.
with

summaries as (
    {% for model in ['fct_abc_class_summary', 'fct_pyramid_tier_summary',
                     'fct_rfm8_segment_summary', 'fct_rfm_segment_summary'] -%}
        select
            scheme,
            tier_code,
            tier_label_zh,
            tier_label_en,
            priority_rank,
            customers,
            revenue,
            share_of_customers,
            share_of_revenue
        from {{ ref(model) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from summaries
order by scheme asc, priority_rank asc
