{#-
    One row per customer in scope with every value label (RFM, ABC, pyramid, the six value
    dimensions, lifecycle stage, loyalty type, quality score) and the strategy of the tier
    of its primary scheme (var primary_tier_scheme, default pyramid).
-#}
{%- do crm_validate_strategy_vars() -%}
{%- set primary_scheme = var('primary_tier_scheme') -%}

with

summary as (
    select
        customer_id,
        as_of_date,
        created_at,
        first_order_date,
        last_order_date,
        has_valid_order,
        valid_orders,
        value_window_orders,
        value_window_revenue
    from {{ ref('int_customers_summarised') }}
),

profiles as (
    select
        customer_id,
        customer_name,
        customer_type,
        region,
        city,
        industry,
        acquisition_channel
    from {{ ref('stg_crm__customers') }}
),

rfm as (
    select
        customer_id,
        recency_days,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score,
        rfm_cell,
        rfm8_segment,
        rfm_segment
    from {{ ref('fct_customer_rfm') }}
),

abc as (
    select
        customer_id,
        abc_class
    from {{ ref('fct_customer_abc') }}
),

pyramid as (
    select
        customer_id,
        pyramid_tier
    from {{ ref('fct_customer_pyramid') }}
),

dimensions as (
    select
        customer_id,
        purchasing_power,
        purchase_frequency,
        purchase_potential,
        satisfaction,
        loyalty,
        churn_risk,
        p_alive,
        clv,
        complaints,
        nps_class
    from {{ ref('fct_customer_value_dimensions') }}
),

lifecycle as (
    select
        customer_id,
        lifecycle_stage,
        loyalty_type
    from {{ ref('fct_customer_lifecycle') }}
),

quality as (
    select
        customer_id,
        quality_score,
        quality_rank,
        is_quality_customer,
        quality_tier,
        net_value,
        is_unprofitable
    from {{ ref('fct_customer_quality') }}
),

strategy as (
    select
        scheme,
        tier_code,
        tier_label_zh,
        tier_label_en,
        priority_rank,
        service_level,
        contact_cadence_days,
        recommended_actions_zh,
        recommended_actions_en
    from {{ ref('dim_tier_strategy') }}
    where scheme = '{{ primary_scheme }}'
),

labelled as (
    select
        summary.customer_id,
        summary.as_of_date,
        profiles.customer_name,
        profiles.customer_type,
        profiles.region,
        profiles.city,
        profiles.industry,
        profiles.acquisition_channel,
        summary.created_at,
        summary.first_order_date,
        summary.last_order_date,
        summary.has_valid_order,
        summary.valid_orders,
        summary.value_window_orders,
        cast(summary.value_window_revenue as decimal(18, 2)) as value_window_revenue,
        rfm.recency_days,
        rfm.frequency,
        rfm.monetary,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_cell,
        rfm.rfm8_segment,
        rfm.rfm_segment,
        abc.abc_class,
        pyramid.pyramid_tier,
        dimensions.purchasing_power,
        dimensions.purchase_frequency,
        dimensions.purchase_potential,
        dimensions.satisfaction,
        dimensions.loyalty,
        dimensions.churn_risk,
        dimensions.p_alive,
        dimensions.clv,
        dimensions.complaints,
        dimensions.nps_class,
        lifecycle.lifecycle_stage,
        lifecycle.loyalty_type,
        quality.quality_score,
        quality.quality_rank,
        coalesce(quality.is_quality_customer, false) as is_quality_customer,
        quality.quality_tier,
        quality.net_value,
        quality.is_unprofitable
    from summary
    inner join profiles
        on summary.customer_id = profiles.customer_id
    left join rfm
        on summary.customer_id = rfm.customer_id
    left join abc
        on summary.customer_id = abc.customer_id
    left join pyramid
        on summary.customer_id = pyramid.customer_id
    left join dimensions
        on summary.customer_id = dimensions.customer_id
    left join lifecycle
        on summary.customer_id = lifecycle.customer_id
    left join quality
        on summary.customer_id = quality.customer_id
),

final as (
    select
        labelled.*,
        '{{ primary_scheme }}' as primary_tier_scheme,
        labelled.{{ crm_scheme_tier_column(primary_scheme) }} as primary_tier_code,
        strategy.tier_label_zh as primary_tier_label_zh,
        strategy.tier_label_en as primary_tier_label_en,
        strategy.priority_rank as primary_tier_priority_rank,
        strategy.service_level,
        strategy.contact_cadence_days,
        strategy.recommended_actions_zh,
        strategy.recommended_actions_en
    from labelled
    left join strategy
        on labelled.{{ crm_scheme_tier_column(primary_scheme) }} = strategy.tier_code
)

select * from final
