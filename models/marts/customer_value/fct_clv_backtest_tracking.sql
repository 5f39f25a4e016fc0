{#-
    The backtest's tracking, per purchase model and time unit (clv_time_unit_days): the
    calibration customers' repeat purchase days, actual against predicted by the model
    fitted on the calibration period, per unit and cumulated, across the calibration
    period and the holdout (the tracking plot of Fader, Hardie & Lee 2005).

    The points are calibration_end_date + k units (the last one capped at as_of_date), from
    the first after the earliest first purchase; each row covers the days before its
    period_end_date and since the previous point. Predicted: each customer's expected
    repeat purchases within (period_end_date - 1 - her first purchase day) of her first
    purchase, E[X(t)] (crm_clv_expected_purchases at x = 0, T = 0), summed over the
    customers, who are grouped by their first purchase day.
-#}
{%- do crm_validate_clv_vars() -%}
{%- set unit = var('clv_time_unit_days') -%}

{%- set points = 1 -%}
{%- if execute and load_relation(ref('int_customers_clv_inputs')) is not none -%}
    {%- set span -%}
        select max({{ crm_days_between('first_order_date', 'as_of_date') }})
        from {{ ref('int_customers_clv_inputs') }}
        where is_calibration_customer
    {%- endset -%}
    {%- set days = run_query(span).columns[0].values()[0] -%}
    {%- set points = [((days or 0) / unit) | round(0, 'ceil') | int + 2, 1] | max -%}
{%- endif %}

with

analysis_date as (
    select
        as_of_date,
        clv_calibration_end_date as calibration_end_date
    from {{ ref('int_analysis_date_resolved') }}
),

calibration_customers as (
    select
        customer_id,
        first_order_date
    from {{ ref('int_customers_clv_inputs') }}
    where is_calibration_customer
),

purchase_days as (
    select
        customer_id,
        ordered_date
    from {{ ref('int_orders_grouped_by_customer_day') }}
),

models as (
    select
        model,
        fit_status,
        is_chosen,
        r,
        alpha,
        a,
        b,
        s,
        beta,
        purchase_rate,
        dropout_probability
    from {{ ref('fct_clv_model_fits') }}
    where fit_window = 'calibration' and predicts = 'purchases' and is_usable
),

new_customer_series as (
    select
        model as series_model,
        horizon_days,
        survived_purchases
    from {{ ref('int_clv_purchase_series') }}
    where fit_window = 'calibration' and repeat_purchases = 0 and age_days = 0
),

bounds as (
    -- the first point after the earliest first purchase, and the last at as_of_date
    select
        analysis_date.as_of_date,
        analysis_date.calibration_end_date,
        cast(floor(
            cast({{ crm_days_between(
                'analysis_date.calibration_end_date', 'min(calibration_customers.first_order_date)'
            ) }} as double) / {{ unit }}
        ) as integer) + 1 as first_index,
        cast(ceil(
            cast({{ crm_days_between('analysis_date.calibration_end_date', 'analysis_date.as_of_date') }} as double)
            / {{ unit }}
        ) as integer) as last_index
    from calibration_customers
    cross join analysis_date
    group by analysis_date.as_of_date, analysis_date.calibration_end_date
),

indexes as (
    {{ crm_integers(points) }}
),

tracking_points as (
    select
        bounds.as_of_date,
        bounds.calibration_end_date,
        bounds.first_index + indexes.k as unit_index,
        least(
            cast({{ dbt.dateadd(
                'day', '(bounds.first_index + indexes.k) * ' ~ unit, 'bounds.calibration_end_date'
            ) }} as date),
            bounds.as_of_date
        ) as period_end_date
    from bounds
    cross join indexes
    where bounds.first_index + indexes.k <= bounds.last_index
),

actual_days as (
    -- every purchase day of a calibration customer, with the point it counts towards
    select
        least(
            cast(floor(
                cast({{ crm_days_between(
                    'analysis_date.calibration_end_date', 'purchase_days.ordered_date'
                ) }} as double) / {{ unit }}
            ) as integer) + 1,
            cast(ceil(
                cast({{ crm_days_between('analysis_date.calibration_end_date', 'analysis_date.as_of_date') }} as double)
                / {{ unit }}
            ) as integer)
        ) as unit_index,
        case when purchase_days.ordered_date > calibration_customers.first_order_date then 1 else 0 end
            as is_repeat
    from purchase_days
    inner join calibration_customers
        on purchase_days.customer_id = calibration_customers.customer_id
    inner join analysis_date
        on purchase_days.ordered_date < analysis_date.as_of_date
),

actual_per_unit as (
    select
        unit_index,
        sum(is_repeat) as actual_repeat_purchases
    from actual_days
    group by unit_index
),

cohorts as (
    select
        first_order_date,
        count(*) as customers
    from calibration_customers
    group by first_order_date
),

cohort_lags as (
    select
        tracking_points.unit_index,
        cohorts.customers,
        {{ crm_days_between('cohorts.first_order_date', 'tracking_points.period_end_date') }} - 1
            as lag_days
    from tracking_points
    inner join cohorts
        on tracking_points.period_end_date > cohorts.first_order_date
),

expected_per_lag as (
    select
        models.model,
        lags.lag_days,
        case
            when lags.lag_days = 0 then 0.0
            else {{ crm_clv_expected_purchases(
                '0', '0.0', 'cast(lags.lag_days as double) / ' ~ unit,
                crm_clv_p_alive('0', '0.0', '0.0'), 'new_customer_series.survived_purchases'
            ) }}
        end as expected_repeat_purchases
    from (select distinct lag_days from cohort_lags) as lags
    cross join models
    left join new_customer_series
        on
            models.model = new_customer_series.series_model
            and lags.lag_days = new_customer_series.horizon_days
),

predicted_cumulative as (
    select
        expected_per_lag.model,
        cohort_lags.unit_index,
        -- null when a cohort has no prediction (a series that needed too many terms)
        case
            when count(*) = count(expected_per_lag.expected_repeat_purchases)
                then sum(cohort_lags.customers * expected_per_lag.expected_repeat_purchases)
        end as cumulative_predicted_repeat_purchases
    from cohort_lags
    inner join expected_per_lag
        on cohort_lags.lag_days = expected_per_lag.lag_days
    group by expected_per_lag.model, cohort_lags.unit_index
),

by_model as (
    select
        tracking_points.as_of_date,
        tracking_points.calibration_end_date,
        models.model,
        models.is_chosen,
        tracking_points.unit_index,
        tracking_points.period_end_date,
        cast(coalesce(actual_per_unit.actual_repeat_purchases, 0) as integer)
            as actual_repeat_purchases,
        case
            when predicted_cumulative.unit_index is null then 0.0
            else predicted_cumulative.cumulative_predicted_repeat_purchases
        end as cumulative_predicted_repeat_purchases
    from tracking_points
    cross join models
    left join actual_per_unit
        on tracking_points.unit_index = actual_per_unit.unit_index
    left join predicted_cumulative
        on
            models.model = predicted_cumulative.model
            and tracking_points.unit_index = predicted_cumulative.unit_index
),

final as (
    select
        as_of_date,
        calibration_end_date,
        model as purchase_model,
        is_chosen,
        unit_index,
        case when period_end_date <= calibration_end_date then 'calibration' else 'holdout' end
            as period,
        period_end_date,
        cast({{ crm_days_between('calibration_end_date', 'period_end_date') }} as double) / {{ unit }}
            as units_since_calibration_end,
        actual_repeat_purchases,
        cumulative_predicted_repeat_purchases - coalesce(lag(cumulative_predicted_repeat_purchases) over (
            partition by model order by unit_index
        ), 0.0) as predicted_repeat_purchases,
        cast(sum(actual_repeat_purchases) over (
            partition by model order by unit_index rows between unbounded preceding and current row
        ) as integer) as cumulative_actual_repeat_purchases,
        cumulative_predicted_repeat_purchases
    from by_model
)

select * from final
