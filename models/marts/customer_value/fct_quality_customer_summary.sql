{#-
    The "top 20%" table: paying customers by quality tier (quality, standard,
    unprofitable) with their revenue, margin (known, else revenue x default_margin_rate)
    and net value, and each tier's share of the paying customers, revenue and margin.
-#}
with

customers as (
    select
        as_of_date,
        quality_tier,
        revenue,
        estimated_margin,
        net_value
    from {{ ref('fct_customer_quality') }}
),

strategy as (
    select
        tier_code,
        tier_label_zh,
        tier_label_en,
        priority_rank
    from {{ ref('dim_tier_strategy') }}
    where scheme = 'quality'
),

tiers as (
    select
        quality_tier,
        max(as_of_date) as as_of_date,
        cast(count(*) as integer) as customers,
        sum(revenue) as revenue,
        sum(estimated_margin) as estimated_margin,
        sum(net_value) as net_value
    from customers
    group by quality_tier
),

final as (
    select
        tiers.as_of_date,
        tiers.quality_tier,
        strategy.tier_label_zh,
        strategy.tier_label_en,
        strategy.priority_rank,
        tiers.customers,
        cast(tiers.revenue as decimal(18, 2)) as revenue,
        cast(tiers.estimated_margin as decimal(18, 2)) as estimated_margin,
        cast(tiers.net_value as decimal(18, 2)) as net_value,
        cast(tiers.customers as double) / sum(tiers.customers) over () as share_of_customers,
        case
            when sum(tiers.revenue) over () > 0
                then cast(tiers.revenue as double) / cast(sum(tiers.revenue) over () as double)
            else 0
        end as share_of_revenue,
        case
            when sum(tiers.estimated_margin) over () != 0
                then
                    cast(tiers.estimated_margin as double)
                    / cast(sum(tiers.estimated_margin) over () as double)
        end as share_of_margin
    from tiers
    left join strategy
        on tiers.quality_tier = strategy.tier_code
)

select * from final
