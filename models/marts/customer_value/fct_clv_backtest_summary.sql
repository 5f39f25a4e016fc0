{#-
    How well each purchase model predicted the holdout, per calibration frequency (the
    repeat purchase days before calibration_end_date: 0, 1, ..., 6, 7+) and over all
    calibration customers (frequency_bucket 'all'): customers, predicted against actual
    repeat purchase days, the relative error of the total, the mean absolute and root mean
    squared error per customer, and the predicted against actual value of a purchase day.
    is_chosen marks the model that scores the customers.
-#}
with

summary as (
    select
        model,
        frequency_bucket,
        bucket_order,
        fit_status,
        as_of_date,
        calibration_end_date,
        holdout_days,
        customers,
        unscored_customers,
        predicted_purchases,
        actual_purchases,
        mean_predicted_purchases,
        mean_actual_purchases,
        relative_error,
        mae,
        rmse,
        order_value_customers,
        mean_predicted_order_value,
        mean_actual_order_value,
        order_value_relative_error,
        order_value_mae
    from {{ ref('int_clv_backtest_summarised') }}
),

chosen as (
    select model
    from {{ ref('fct_clv_model_fits') }}
    where fit_window = 'calibration' and predicts = 'purchases' and is_chosen
),

final as (
    select
        summary.as_of_date,
        summary.calibration_end_date,
        summary.holdout_days,
        summary.model as purchase_model,
        summary.fit_status,
        chosen.model is not null as is_chosen,
        summary.frequency_bucket,
        summary.bucket_order,
        summary.customers,
        summary.unscored_customers,
        summary.predicted_purchases,
        summary.actual_purchases,
        summary.mean_predicted_purchases,
        summary.mean_actual_purchases,
        summary.relative_error,
        summary.mae,
        summary.rmse,
        summary.order_value_customers,
        summary.mean_predicted_order_value,
        summary.mean_actual_order_value,
        summary.order_value_relative_error,
        summary.order_value_mae
    from summary
    left join chosen
        on summary.model = chosen.model
)

select * from final
