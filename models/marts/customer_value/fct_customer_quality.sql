{#-
    The quality-customer score (VALUE_MODEL.md, "Quality-customer score"), one row per
    paying customer (a valid order in the value window): six measures of the window, their
    percent ranks among paying customers (better ranks higher; overdue debt, purchase cycle
    and cost to serve inverted; a missing measure ranks worst), the weighted score, the
    top quality_top_share as quality customers, and the net value each customer brings.
    Ranking, scoring and the cut are exact: points are decimal sums of weight x (rank - 1).
-#}
{%- do crm_validate_quality_score_vars() -%}
{#- The six ranks below are written out; they must be the measures quality_weights weighs. -#}
{%- set ranked_here = ['revenue', 'volume', 'margin', 'overdue_debt', 'purchase_cycle', 'cost_to_serve'] -%}
{%- if ranked_here != crm_quality_measures() -%}
    {{ exceptions.raise_compiler_error(
        "fct_customer_quality ranks " ~ (ranked_here | join(', ')) ~ " but crm_quality_measures() lists "
        ~ (crm_quality_measures() | join(', ')) ~ ": rank every weighted measure.") }}
{%- endif -%}
with

summary as (
    select
        customer_id,
        as_of_date,
        value_window_revenue,
        value_window_quantity,
        value_window_known_margin,
        purchase_cycle_days
    from {{ ref('int_customers_summarised') }}
    where value_window_orders > 0
),

service as (
    select
        customer_id,
        service_minutes,
        overdue_debt
    from {{ ref('int_customers_service_summarised') }}
),

measured as (
    select
        summary.customer_id,
        summary.as_of_date,
        summary.value_window_revenue as revenue,
        summary.value_window_quantity as volume,
        summary.value_window_known_margin as margin,
        service.overdue_debt,
        summary.purchase_cycle_days,
        service.service_minutes,
        service.service_minutes * {{ crm_decimal_var('cost_per_service_minute') }}
            as cost_to_serve_exact
    from summary
    inner join service
        on summary.customer_id = service.customer_id
),

ranked as (
    -- rank() - 1 per measure, better ranking higher; a missing measure ranks worst.
    select
        *,
        count(*) over () as paying_customers,
        rank() over (order by revenue asc) - 1 as revenue_rank_below,
        rank() over (order by volume asc nulls first) - 1 as volume_rank_below,
        rank() over (order by margin asc nulls first) - 1 as margin_rank_below,
        rank() over (order by overdue_debt desc) - 1 as overdue_debt_rank_below,
        rank() over (order by purchase_cycle_days desc nulls first) - 1
            as purchase_cycle_rank_below,
        rank() over (order by cost_to_serve_exact desc) - 1 as cost_to_serve_rank_below
    from measured
),

scored as (
    select
        *,
        {{ crm_quality_weight('revenue') }} * revenue_rank_below
        + {{ crm_quality_weight('volume') }} * volume_rank_below
        + {{ crm_quality_weight('margin') }} * margin_rank_below
        + {{ crm_quality_weight('overdue_debt') }} * overdue_debt_rank_below
        + {{ crm_quality_weight('purchase_cycle') }} * purchase_cycle_rank_below
        + {{ crm_quality_weight('cost_to_serve') }} * cost_to_serve_rank_below
            as quality_points,
        coalesce(margin, revenue * {{ crm_decimal_var('default_margin_rate') }})
            as estimated_margin_exact
    from ranked
),

valued as (
    select
        *,
        estimated_margin_exact - cost_to_serve_exact - overdue_debt as net_value_exact,
        row_number() over (order by quality_points desc, customer_id asc) as quality_position
    from scored
),

final as (
    select
        customer_id,
        as_of_date,
        revenue,
        volume,
        margin,
        overdue_debt,
        purchase_cycle_days,
        service_minutes,
        cast(round(cost_to_serve_exact, 2) as decimal(18, 2)) as cost_to_serve,
        {{ crm_percent_rank('revenue_rank_below', 'paying_customers') }} as revenue_percent_rank,
        {{ crm_percent_rank('volume_rank_below', 'paying_customers') }} as volume_percent_rank,
        {{ crm_percent_rank('margin_rank_below', 'paying_customers') }} as margin_percent_rank,
        {{ crm_percent_rank('overdue_debt_rank_below', 'paying_customers') }}
            as overdue_debt_percent_rank,
        {{ crm_percent_rank('purchase_cycle_rank_below', 'paying_customers') }}
            as purchase_cycle_percent_rank,
        {{ crm_percent_rank('cost_to_serve_rank_below', 'paying_customers') }}
            as cost_to_serve_percent_rank,
        cast(quality_points as decimal(38, 9)) as quality_points,
        {{ crm_percent_rank('quality_points', 'paying_customers') }} as quality_score,
        cast(quality_position as integer) as quality_rank,
        {{ crm_is_quality_customer('quality_position', 'paying_customers') }} as is_quality_customer,
        cast(round(estimated_margin_exact, 2) as decimal(18, 2)) as estimated_margin,
        cast(round(net_value_exact, 2) as decimal(18, 2)) as net_value,
        net_value_exact < 0 as is_unprofitable
    from valued
)

select
    *,
    {{ crm_quality_tier('is_quality_customer', 'is_unprofitable') }} as quality_tier
from final
