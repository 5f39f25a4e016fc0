{#-
    The CLV backtest of the chosen purchase model, one row per calibration customer (her
    file opened and her first purchase made before calibration_end_date =
    as_of_date - clv_holdout_days): her calibration inputs, the repeat purchase days the
    model fitted on the calibration period predicts for the holdout
    [calibration_end_date, as_of_date), the days she actually bought on, P(alive) at the
    calibration end, and the predicted and actual value of a purchase day.
-#}
with

chosen as (
    select model
    from {{ ref('fct_clv_model_fits') }}
    where fit_window = 'calibration' and predicts = 'purchases' and is_chosen
),

backtest as (
    select
        customer_id,
        model,
        as_of_date,
        calibration_end_date,
        holdout_days,
        repeat_purchases,
        recency_units,
        age_units,
        mean_repeat_value,
        p_alive_at_calibration_end,
        predicted_purchases,
        actual_purchases,
        predicted_order_value,
        actual_order_value
    from {{ ref('int_customers_clv_backtested') }}
),

final as (
    select
        backtest.customer_id,
        backtest.as_of_date,
        backtest.model as purchase_model,
        backtest.calibration_end_date,
        backtest.holdout_days,
        backtest.repeat_purchases,
        backtest.recency_units,
        backtest.age_units,
        backtest.mean_repeat_value,
        backtest.p_alive_at_calibration_end,
        backtest.predicted_purchases,
        backtest.actual_purchases,
        backtest.predicted_order_value,
        backtest.actual_order_value
    from backtest
    inner join chosen
        on backtest.model = chosen.model
)

select * from final
