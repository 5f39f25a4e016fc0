{#-
    The key customers being lost: a call list. A customer is key when a snapshot of the
    tier history before as_of_date, and no more than var key_customer_lookback_days before
    it, put it in a tier of a 'key' row of the seed key_customer_rules. It is on the list
    when, at as_of_date, its tiers match a 'slipped' row of the seed (gone quiet, lapsing),
    or (var key_customer_flag_downgrades) it no longer holds a key tier in the scheme that
    made it key (spending less). The list shows what the customer was worth then and
    brings now, every slip, and the win-back strategy of its case (the first slip by
    rule_rank; a downgrade ranks last) from the tier-strategy seed.
-#}
{%- do crm_validate_history_vars() -%}
{%- set schemes = crm_tier_scheme_columns() -%}
{%- set lookback = var('key_customer_lookback_days') -%}

with

analysis_date as (
    select as_of_date
    from {{ ref('int_analysis_date_resolved') }}
),

rules as (
    select
        rule,
        scheme,
        tier_code,
        win_back_case,
        rule_rank
    from {{ ref('key_customer_rules') }}
),

latest_key_tier as (
    -- The latest snapshot before as_of_date that held the customer in a key tier, and its
    -- first key rule: kept in int_customer_tier_runs, which a daily refresh folds forward.
    -- Being the latest, it is within the lookback when any is.
    select
        tier_runs.customer_id,
        tier_runs.earlier_key_as_of_date as key_as_of_date,
        tier_runs.earlier_key_scheme as key_scheme,
        tier_runs.earlier_key_tier as key_tier,
        tier_runs.earlier_key_revenue as revenue_then,
        tier_runs.earlier_key_clv as clv_then
    from {{ ref('int_customer_tier_runs') }} as tier_runs
    inner join analysis_date
        on
            tier_runs.earlier_key_as_of_date < analysis_date.as_of_date
            {% if lookback is not none -%}
                and tier_runs.earlier_key_as_of_date >= {{ dbt.dateadd('day', -lookback, 'analysis_date.as_of_date') }}
            {%- endif %}
),

now as (
    select * from {{ ref('dim_customers') }}
),

now_tiers as (
    {% for scheme, column in schemes.items() -%}
        select
            customer_id,
            '{{ scheme }}' as scheme,
            {{ column }} as tier_code
        from now
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

rule_slips as (
    select
        now_tiers.customer_id,
        now_tiers.scheme,
        now_tiers.tier_code,
        rules.win_back_case,
        rules.rule_rank
    from now_tiers
    inner join rules
        on
            rules.rule = 'slipped'
            and now_tiers.scheme = rules.scheme
            and now_tiers.tier_code = rules.tier_code
),

downgrades as (
    -- Out of every key tier of the scheme that made the customer key; ranks after the rules.
    select
        now_tiers.customer_id,
        now_tiers.scheme,
        coalesce(now_tiers.tier_code, {{ crm_not_in_scope() }}) as tier_code,
        'downgraded' as win_back_case,
        {{ crm_downgrade_rule_rank() }} as rule_rank
    from latest_key_tier
    inner join now_tiers
        on
            latest_key_tier.customer_id = now_tiers.customer_id
            and latest_key_tier.key_scheme = now_tiers.scheme
    left join rules
        on
            rules.rule = 'key'
            and now_tiers.scheme = rules.scheme
            and now_tiers.tier_code = rules.tier_code
    where
        rules.rule is null
        and {{ 'true' if var('key_customer_flag_downgrades') else 'false' }}
),

slips as (
    select * from rule_slips
    union all
    select * from downgrades
),

slip_cases as (
    select
        customer_id,
        scheme as slipped_scheme,
        tier_code as slipped_tier,
        win_back_case,
        row_number() over (partition by customer_id order by rule_rank) as case_order
    from slips
),

slip_reasons as (
    select
        customer_id,
        {{ crm_ordered_list("scheme || '=' || tier_code", 'rule_rank', "', '") }} as slipped_reasons
    from slips
    group by customer_id
),

strategy as (
    select
        scheme,
        tier_code,
        tier_label_zh,
        tier_label_en,
        service_level,
        contact_cadence_days,
        recommended_actions_zh,
        recommended_actions_en
    from {{ ref('dim_tier_strategy') }}
),

at_risk as (
    select
        now.as_of_date,
        now.customer_id,
        now.customer_name,
        now.customer_type,
        now.region,
        now.city,
        latest_key_tier.key_scheme,
        latest_key_tier.key_tier,
        key_label.tier_label_zh as key_tier_label_zh,
        key_label.tier_label_en as key_tier_label_en,
        latest_key_tier.key_as_of_date,
        cast(latest_key_tier.revenue_then as decimal(18, 2)) as revenue_then,
        cast(now.value_window_revenue as decimal(18, 2)) as revenue_now,
        cast(now.value_window_revenue - latest_key_tier.revenue_then as decimal(18, 2)) as revenue_change,
        cast(latest_key_tier.clv_then as decimal(18, 2)) as clv_then,
        cast(now.clv as decimal(18, 2)) as clv_now,
        now.p_alive,
        now.last_order_date,
        now.recency_days,
        now.pyramid_tier,
        now.abc_class,
        now.lifecycle_stage,
        now.churn_risk,
        slip_cases.slipped_scheme,
        slip_cases.slipped_tier,
        slip_reasons.slipped_reasons,
        slip_cases.win_back_case,
        win_back.tier_label_zh as win_back_case_label_zh,
        win_back.tier_label_en as win_back_case_label_en,
        win_back.service_level,
        win_back.contact_cadence_days,
        win_back.recommended_actions_zh,
        win_back.recommended_actions_en
    from latest_key_tier
    inner join now
        on latest_key_tier.customer_id = now.customer_id
    inner join slip_cases
        on latest_key_tier.customer_id = slip_cases.customer_id
    inner join slip_reasons
        on latest_key_tier.customer_id = slip_reasons.customer_id
    left join strategy as key_label
        on
            latest_key_tier.key_scheme = key_label.scheme
            and latest_key_tier.key_tier = key_label.tier_code
    left join strategy as win_back
        on
            win_back.scheme = 'win_back'
            and slip_cases.win_back_case = win_back.tier_code
    where slip_cases.case_order = 1
),

final as (
    select
        cast(row_number() over (order by revenue_then desc, customer_id asc) as integer) as call_rank,
        *
    from at_risk
)

select * from final
