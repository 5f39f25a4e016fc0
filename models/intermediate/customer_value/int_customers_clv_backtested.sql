{#-
    The backtest, one row per calibration customer and purchase model: the model fitted on
    the calibration period (fit_window 'calibration') predicts each customer's repeat
    purchase days in the holdout [calibration_end_date, as_of_date) from her calibration
    inputs, beside what she did. Every model is scored, so the summary can compare them
    and var clv_model = best can choose; a model the calibration data could not fit has
    null predictions. The order-value prediction is Gamma-Gamma's (or its limit's),
    fitted on the calibration period too.
-#}
{%- do crm_validate_clv_vars() -%}
{%- set unit = var('clv_time_unit_days') -%}
{%- set holdout = var('clv_holdout_days') / var('clv_time_unit_days') -%}

with

inputs as (
    select
        customer_id,
        as_of_date,
        calibration_end_date,
        calibration_repeat_purchases,
        calibration_recency_days,
        calibration_age_days,
        calibration_recency_units,
        calibration_age_units,
        calibration_mean_repeat_value,
        holdout_purchases,
        holdout_mean_value
    from {{ ref('int_customers_clv_inputs') }}
    where is_calibration_customer
),

fits as (
    select
        model,
        predicts,
        fit_status,
        is_usable,
        r,
        alpha,
        a,
        b,
        s,
        beta,
        purchase_rate,
        dropout_probability,
        p,
        q,
        gamma,
        spend_rate,
        spend_scale,
        constant_value
    from {{ ref('int_clv_models_fitted') }}
    where fit_window = 'calibration'
),

purchase_models as (
    select
        model,
        fit_status,
        is_usable,
        r,
        alpha,
        a,
        b,
        s,
        beta,
        purchase_rate,
        dropout_probability
    from fits
    where predicts = 'purchases'
),

order_value_model as (
    select
        fit_status as order_value_fit_status,
        is_usable as is_order_value_usable,
        p,
        q,
        gamma,
        spend_rate,
        spend_scale,
        constant_value
    from fits
    where predicts = 'order_value'
),

purchase_series as (
    select
        model,
        repeat_purchases,
        age_days,
        survived_purchases
    from {{ ref('int_clv_purchase_series') }}
    where fit_window = 'calibration' and horizon_days = {{ var('clv_holdout_days') }}
),

pareto_series as (
    select
        repeat_purchases,
        time_days,
        ln_f
    from {{ ref('int_clv_pareto_nbd_series') }}
    where fit_window = 'calibration'
),

pareto_integrated as (
    select
        repeat_purchases,
        recency_days,
        age_days,
        ln_gap
    from {{ ref('int_clv_pareto_nbd_quadrature') }}
    where fit_window = 'calibration'
),

joined as (
    select
        inputs.*,
        purchase_models.*,
        order_value_model.*,
        purchase_series.survived_purchases,
        at_recency.ln_f as ln_f_recency,
        at_age.ln_f as ln_f_age,
        pareto_integrated.ln_gap as ln_gap_integrated
    from inputs
    cross join purchase_models
    cross join order_value_model
    left join purchase_series
        on
            purchase_models.model = purchase_series.model
            and inputs.calibration_repeat_purchases = purchase_series.repeat_purchases
            and inputs.calibration_age_days = purchase_series.age_days
    left join pareto_series as at_recency
        on
            purchase_models.model = 'pareto_nbd'
            and inputs.calibration_repeat_purchases = at_recency.repeat_purchases
            and inputs.calibration_recency_days = at_recency.time_days
    left join pareto_series as at_age
        on
            purchase_models.model = 'pareto_nbd'
            and inputs.calibration_repeat_purchases = at_age.repeat_purchases
            and inputs.calibration_age_days = at_age.time_days
    left join pareto_integrated
        on
            purchase_models.model = 'pareto_nbd'
            and inputs.calibration_repeat_purchases = pareto_integrated.repeat_purchases
            and inputs.calibration_recency_days = pareto_integrated.recency_days
            and inputs.calibration_age_days = pareto_integrated.age_days
),

alive as (
    select
        *,
        case
            when is_usable then {{ crm_clv_p_alive(
                'calibration_repeat_purchases', 'calibration_recency_units',
                'calibration_age_units',
                crm_clv_pareto_ln_gap('ln_f_recency', 'ln_f_age', 'ln_gap_integrated')
            ) }}
        end as p_alive_at_calibration_end
    from joined
),

final as (
    select
        customer_id,
        model,
        fit_status,
        as_of_date,
        calibration_end_date,
        {{ var('clv_holdout_days') }} as holdout_days,
        calibration_repeat_purchases as repeat_purchases,
        calibration_recency_units as recency_units,
        calibration_age_units as age_units,
        cast(calibration_mean_repeat_value as decimal(18, 2)) as mean_repeat_value,
        p_alive_at_calibration_end,
        case
            when is_usable then {{ crm_clv_expected_purchases(
                'calibration_repeat_purchases', 'calibration_age_units', holdout,
                'p_alive_at_calibration_end', 'survived_purchases'
            ) }}
        end as predicted_purchases,
        holdout_purchases as actual_purchases,
        cast(
            case
                when is_order_value_usable then {{ crm_clv_expected_order_value(
                    'calibration_repeat_purchases', 'calibration_mean_repeat_value',
                    'order_value_fit_status'
                ) }}
            end as decimal(18, 2)
        ) as predicted_order_value,
        cast(holdout_mean_value as decimal(18, 2)) as actual_order_value
    from alive
)

select * from final
