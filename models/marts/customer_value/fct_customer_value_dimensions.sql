{#-
    The six value dimensions per customer in scope, each 'high', 'medium', 'low' or
    'unknown' (VALUE_MODEL.md, "Six value dimensions"): purchasing power, purchase
    frequency and purchase potential are terciles among the customers with a valid order;
    satisfaction, loyalty and churn risk use the thresholds of their vars. Complaints and
    the NPS class ride along.
-#}
{%- do crm_validate_dimension_vars() -%}

with

summary as (
    select
        customer_id,
        as_of_date,
        has_valid_order,
        valid_orders,
        lifetime_revenue,
        value_window_orders,
        value_window_revenue,
        active_quarters,
        case
            when has_valid_order then {{ crm_days_between('first_order_date', 'as_of_date') }}
        end as tenure_days
    from {{ ref('int_customers_summarised') }}
),

service as (
    select
        customer_id,
        complaints,
        surveys_in_window,
        satisfaction_points,
        latest_recommend_score
    from {{ ref('int_customers_service_summarised') }}
),

clv as (
    select
        customer_id,
        p_alive,
        clv
    from {{ ref('fct_customer_clv') }}
),

measured as (
    select
        summary.customer_id,
        summary.as_of_date,
        summary.has_valid_order,
        -- The value window's mean order amount, or all history's when the window is empty.
        case
            when summary.value_window_orders > 0
                then {{ crm_exact_mean('summary.value_window_revenue', 'summary.value_window_orders') }}
            else {{ crm_exact_mean('summary.lifetime_revenue', 'summary.valid_orders') }}
        end as mean_order_amount,
        summary.value_window_orders,
        clv.clv,
        clv.p_alive,
        service.surveys_in_window,
        service.satisfaction_points,
        summary.active_quarters,
        summary.tenure_days,
        service.complaints,
        service.latest_recommend_score
    from summary
    inner join service
        on summary.customer_id = service.customer_id
    left join clv
        on summary.customer_id = clv.customer_id
),

ranked as (
    select
        *,
        -- Terciles rank among the customers with a valid order only.
        sum(case when has_valid_order then 1 else 0 end) over () as buyers,
        case
            when has_valid_order
                then rank() over (partition by has_valid_order order by mean_order_amount asc)
        end as purchasing_power_rank,
        case
            when has_valid_order
                then rank() over (partition by has_valid_order order by value_window_orders asc)
        end as purchase_frequency_rank,
        sum(case when clv is not null then 1 else 0 end) over () as scored_buyers,
        case
            when clv is not null
                then rank() over (partition by clv is not null order by clv asc)
        end as purchase_potential_rank
    from measured
),

final as (
    select
        customer_id,
        as_of_date,
        has_valid_order,
        mean_order_amount,
        {{ crm_tercile_level('purchasing_power_rank', 'buyers') }} as purchasing_power,
        value_window_orders,
        case
            when value_window_orders = 0 then 'low'
            else {{ crm_tercile_level('purchase_frequency_rank', 'buyers') }}
        end as purchase_frequency,
        clv,
        {{ crm_tercile_level('purchase_potential_rank', 'scored_buyers') }} as purchase_potential,
        surveys_in_window,
        case
            when surveys_in_window > 0
                then
                    cast(satisfaction_points as double)
                    / (cast({{ crm_satisfaction_unit() }} as double) * surveys_in_window)
        end as satisfaction_ratio,
        {{ crm_satisfaction_level('satisfaction_points', 'surveys_in_window') }} as satisfaction,
        active_quarters,
        tenure_days,
        {{ crm_loyalty_level('tenure_days', 'active_quarters', 'value_window_orders') }} as loyalty,
        p_alive,
        {{ crm_churn_risk_level('p_alive') }} as churn_risk,
        complaints,
        latest_recommend_score,
        {{ crm_nps_class('latest_recommend_score') }} as nps_class
    from ranked
)

select * from final
