{#-
    The "top 20%" table: paying customers by quality tier (quality, standard,
    unprofitable) with their revenue, margin (known, else revenue x default_margin_rate)
    and net value, and each tier's share of the paying customers, revenue and margin.
    The tiers and shares are crm_tier_summary's on fct_customer_quality, whose rows are
    the paying customers; the margin's share is this table's own.
-#}
with

summary as (
    {{ crm_tier_summary(
        'quality',
        from_model='fct_customer_quality',
        revenue_column='revenue',
        sums=['estimated_margin', 'net_value'],
    ) }}
),

final as (
    select
        as_of_date,
        tier_code as quality_tier,
        tier_label_zh,
        tier_label_en,
        priority_rank,
        customers,
        revenue,
        estimated_margin,
        net_value,
        share_of_customers,
        share_of_revenue,
        case
            when sum(estimated_margin) over () != 0
                then
                    cast(estimated_margin as double)
                    / cast(sum(estimated_margin) over () as double)
        end as share_of_margin
    from summary
)

select * from final
