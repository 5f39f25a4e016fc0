{#-
    The CLV models' inputs, one row per customer with a valid order before as_of_date, in
    units of clv_time_unit_days: x repeat purchase days, t_x from the first to the last
    purchase day, T from the first purchase day to period_end = as_of_date - 1 day, and
    m_x the mean value of the repeat purchase days (null when x = 0). Day counts ride
    along as whole numbers (the series key on them).

    The backtest's view of the same customer: a calibration customer's file was opened
    and her first purchase made before clv_calibration_end_date (what a build for that
    date would have fitted); her calibration inputs count only the purchase days before
    it, and the holdout [clv_calibration_end_date, as_of_date) gives the actual purchase
    days and their mean value.
-#}
{%- do crm_validate_clv_vars() -%}
{%- set unit = var('clv_time_unit_days') -%}

with

analysis_date as (
    select clv_calibration_end_date
    from {{ ref('int_analysis_date_resolved') }}
),

summary as (
    select
        customer_id,
        created_at,
        as_of_date,
        first_order_date,
        last_order_date,
        purchase_days,
        repeat_purchase_value,
        first_purchase_value,
        calibration_purchase_days,
        calibration_last_order_date,
        calibration_purchase_value,
        holdout_purchase_days,
        holdout_purchase_value
    from {{ ref('int_customers_summarised') }}
    where has_valid_order
),

days as (
    select
        summary.*,
        analysis_date.clv_calibration_end_date,
        {{ crm_days_between('summary.first_order_date', 'summary.last_order_date') }}
            as recency_days,
        {{ crm_days_between('summary.first_order_date', 'summary.as_of_date') }} - 1 as age_days,
        summary.created_at < analysis_date.clv_calibration_end_date
        and summary.first_order_date < analysis_date.clv_calibration_end_date
            as is_calibration_customer,
        {{ crm_days_between('summary.first_order_date', 'summary.calibration_last_order_date') }}
            as calibration_recency_days,
        {{ crm_days_between('summary.first_order_date', 'analysis_date.clv_calibration_end_date') }}
        - 1 as calibration_age_days
    from summary
    cross join analysis_date
),

final as (
    select
        customer_id,
        as_of_date,
        first_order_date,
        last_order_date,
        purchase_days - 1 as repeat_purchases,
        recency_days,
        age_days,
        cast(recency_days as double) / {{ unit }} as recency_units,
        cast(age_days as double) / {{ unit }} as age_units,
        case
            when purchase_days > 1
                then cast(repeat_purchase_value as double) / (purchase_days - 1)
        end as mean_repeat_value,
        clv_calibration_end_date as calibration_end_date,
        is_calibration_customer,
        case when is_calibration_customer then calibration_purchase_days - 1 end
            as calibration_repeat_purchases,
        case when is_calibration_customer then calibration_recency_days end
            as calibration_recency_days,
        case when is_calibration_customer then calibration_age_days end as calibration_age_days,
        case
            when is_calibration_customer then cast(calibration_recency_days as double) / {{ unit }}
        end as calibration_recency_units,
        case
            when is_calibration_customer then cast(calibration_age_days as double) / {{ unit }}
        end as calibration_age_units,
        case
            when is_calibration_customer and calibration_purchase_days > 1
                then cast(calibration_purchase_value - first_purchase_value as double)
                    / (calibration_purchase_days - 1)
        end as calibration_mean_repeat_value,
        case when is_calibration_customer then holdout_purchase_days end as holdout_purchases,
        case
            when is_calibration_customer and holdout_purchase_days > 0
                then cast(holdout_purchase_value as double) / holdout_purchase_days
        end as holdout_mean_value
    from days
)

select * from final
