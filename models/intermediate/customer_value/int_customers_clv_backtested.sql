{#-
    The backtest, one row per calibration customer and purchase model: the model fitted on
    the calibration period predicts each customer's repeat purchase days in the holdout
    [calibration_end_date, as_of_date) from her calibration inputs
    (int_customers_clv_scored, fit window 'calibration'), beside what she did. Every model
    is scored, so the summary can compare them and var clv_model = best can choose; a
    model the calibration data could not fit has null predictions. The order-value
    prediction is Gamma-Gamma's (or its limit's), fitted on the calibration period too.
-#}
{%- do crm_validate_clv_vars() -%}

with

inputs as (
    select
        customer_id,
        as_of_date,
        calibration_end_date,
        holdout_purchases,
        holdout_mean_value
    from {{ ref('int_customers_clv_inputs') }}
    where is_calibration_customer
),

scores as (
    select
        customer_id,
        model,
        fit_status,
        repeat_purchases,
        recency_units,
        age_units,
        mean_repeat_value,
        p_alive,
        expected_purchases,
        expected_order_value
    from {{ ref('int_customers_clv_scored') }}
    where fit_window = 'calibration'
),

final as (
    select
        scores.customer_id,
        scores.model,
        scores.fit_status,
        inputs.as_of_date,
        inputs.calibration_end_date,
        {{ var('clv_holdout_days') }} as holdout_days,
        scores.repeat_purchases,
        scores.recency_units,
        scores.age_units,
        {{ crm_cents('scores.mean_repeat_value') }} as mean_repeat_value,
        scores.p_alive as p_alive_at_calibration_end,
        scores.expected_purchases as predicted_purchases,
        inputs.holdout_purchases as actual_purchases,
        {{ crm_cents('scores.expected_order_value') }} as predicted_order_value,
        {{ crm_cents('inputs.holdout_mean_value') }} as actual_order_value
    from scores
    inner join inputs
        on scores.customer_id = inputs.customer_id
)

select * from final
