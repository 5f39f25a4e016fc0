{#-
    The backtest's errors per purchase model and calibration frequency (repeat purchase
    days in the calibration period: 0, 1, ..., 6, and 7+), plus one row per model over
    every calibration customer (frequency_bucket 'all'): customers, predicted and actual
    holdout purchase days, their means, the relative error of the total, and the mean
    absolute and root mean squared error per customer; and for the order value (over the
    customers with a holdout purchase day and a prediction), the means and the errors.
-#}
with

backtest as (
    select
        model,
        fit_status,
        as_of_date,
        calibration_end_date,
        holdout_days,
        least(repeat_purchases, 7) as bucket_order,
        predicted_purchases,
        -- compared over the customers with a prediction only, like with like
        case when predicted_purchases is not null then actual_purchases end as actual_purchases,
        case
            when actual_purchases > 0 and predicted_order_value is not null
                then predicted_order_value
        end as predicted_order_value,
        case
            when actual_purchases > 0 and predicted_order_value is not null
                then actual_order_value
        end as actual_order_value
    from {{ ref('int_customers_clv_backtested') }}
),

in_buckets as (
    select
        model,
        fit_status,
        as_of_date,
        calibration_end_date,
        holdout_days,
        case when bucket_order = 7 then '7+' else cast(bucket_order as {{ dbt.type_string() }}) end
            as frequency_bucket,
        bucket_order,
        predicted_purchases,
        actual_purchases,
        predicted_order_value,
        actual_order_value
    from backtest
    union all
    select
        model,
        fit_status,
        as_of_date,
        calibration_end_date,
        holdout_days,
        'all' as frequency_bucket,
        99 as bucket_order,
        predicted_purchases,
        actual_purchases,
        predicted_order_value,
        actual_order_value
    from backtest
),

final as (
    select
        model,
        frequency_bucket,
        bucket_order,
        min(fit_status) as fit_status,
        min(as_of_date) as as_of_date,
        min(calibration_end_date) as calibration_end_date,
        min(holdout_days) as holdout_days,
        cast(count(*) as integer) as customers,
        cast(count(*) - count(predicted_purchases) as integer) as unscored_customers,
        sum(predicted_purchases) as predicted_purchases,
        cast(sum(actual_purchases) as integer) as actual_purchases,
        avg(predicted_purchases) as mean_predicted_purchases,
        avg(cast(actual_purchases as double)) as mean_actual_purchases,
        (sum(predicted_purchases) - sum(actual_purchases)) / nullif(sum(actual_purchases), 0)
            as relative_error,
        avg(abs(predicted_purchases - actual_purchases)) as mae,
        sqrt(avg((predicted_purchases - actual_purchases) * (predicted_purchases - actual_purchases)))
            as rmse,
        cast(count(actual_order_value) as integer) as order_value_customers,
        avg(cast(predicted_order_value as double)) as mean_predicted_order_value,
        avg(cast(actual_order_value as double)) as mean_actual_order_value,
        cast(sum(predicted_order_value) - sum(actual_order_value) as double)
        / nullif(cast(sum(actual_order_value) as double), 0) as order_value_relative_error,
        avg(abs(cast(predicted_order_value - actual_order_value as double))) as order_value_mae
    from in_buckets
    group by model, frequency_bucket, bucket_order
)

select * from final
