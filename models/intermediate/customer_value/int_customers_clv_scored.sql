{#-
    Every purchase model's scores, one row per customer, fit window and model: the one
    place the closed forms are applied to customers (crm_clv_p_alive,
    crm_clv_expected_purchases, crm_clv_expected_order_value).
    - fit window 'full': every customer with a valid order before as_of_date, her inputs
      to as_of_date, expected purchases over clv_horizon_days; fct_customer_clv serves the
      chosen model's rows.
    - fit window 'calibration': the backtest's customers, their inputs to the calibration
      end, expected purchases over the holdout (clv_holdout_days);
      int_customers_clv_backtested sets them beside what the customers did.
    Each row is scored with the parameters fitted on its window, and the order value with
    that window's Gamma-Gamma (or its limit). A model its window's data could not fit has
    null scores. A view: each reader computes only the window it reads. A past date of a
    backfill (crm_clv_scores_chosen_only) fits only the chosen model on the full window:
    then only those rows, and the backtest is empty.
-#}
{{ config(materialized='view') }}
{%- do crm_validate_clv_vars() -%}
{%- set unit = var('clv_time_unit_days') -%}
{%- set chosen_only = crm_clv_scores_chosen_only() -%}

with

clv_inputs as (
    select
        customer_id,
        repeat_purchases,
        recency_days,
        age_days,
        recency_units,
        age_units,
        mean_repeat_value,
        is_calibration_customer,
        calibration_repeat_purchases,
        calibration_recency_days,
        calibration_age_days,
        calibration_recency_units,
        calibration_age_units,
        calibration_mean_repeat_value
    from {{ ref('int_customers_clv_inputs') }}
),

fits as (
    select
        fit_window,
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
),

purchase_series as (
    select
        fit_window,
        model,
        repeat_purchases,
        age_days,
        horizon_days,
        survived_purchases
    from {{ ref('int_clv_purchase_series') }}
),

pareto_series as (
    select
        fit_window,
        repeat_purchases,
        time_days,
        ln_f
    from {{ ref('int_clv_pareto_nbd_series') }}
),

pareto_integrated as (
    select
        fit_window,
        repeat_purchases,
        recency_days,
        age_days,
        ln_gap
    from {{ ref('int_clv_pareto_nbd_quadrature') }}
),

inputs as (
    -- each window's inputs in one shape, with the horizon its expected purchases look over
    select
        customer_id,
        'full' as fit_window,
        repeat_purchases,
        recency_days,
        age_days,
        recency_units,
        age_units,
        mean_repeat_value,
        {{ var('clv_horizon_days') }} as horizon_days
    from clv_inputs
    union all
    select
        customer_id,
        'calibration' as fit_window,
        calibration_repeat_purchases as repeat_purchases,
        calibration_recency_days as recency_days,
        calibration_age_days as age_days,
        calibration_recency_units as recency_units,
        calibration_age_units as age_units,
        calibration_mean_repeat_value as mean_repeat_value,
        {{ var('clv_holdout_days') }} as horizon_days
    from clv_inputs
    where is_calibration_customer and not {{ chosen_only }}
),

purchase_models as (
    select
        fit_window,
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
    where
        predicts = 'purchases'
        and (not {{ chosen_only }} or (fit_window = 'full' and model = '{{ var("clv_model") }}'))
),

order_value_models as (
    select
        fit_window,
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

joined as (
    select
        inputs.customer_id,
        inputs.fit_window,
        inputs.repeat_purchases,
        inputs.recency_units,
        inputs.age_units,
        inputs.mean_repeat_value,
        cast(inputs.horizon_days as double) / {{ unit }} as horizon,
        purchase_models.model,
        purchase_models.fit_status,
        purchase_models.is_usable,
        purchase_models.r,
        purchase_models.alpha,
        purchase_models.a,
        purchase_models.b,
        purchase_models.s,
        purchase_models.beta,
        purchase_models.purchase_rate,
        purchase_models.dropout_probability,
        order_value_models.order_value_fit_status,
        order_value_models.is_order_value_usable,
        order_value_models.p,
        order_value_models.q,
        order_value_models.gamma,
        order_value_models.spend_rate,
        order_value_models.spend_scale,
        order_value_models.constant_value,
        purchase_series.survived_purchases,
        at_recency.ln_f as ln_f_recency,
        at_age.ln_f as ln_f_age,
        pareto_integrated.ln_gap as ln_gap_integrated
    from inputs
    inner join purchase_models
        on inputs.fit_window = purchase_models.fit_window
    inner join order_value_models
        on inputs.fit_window = order_value_models.fit_window
    left join purchase_series
        on
            inputs.fit_window = purchase_series.fit_window
            and purchase_models.model = purchase_series.model
            and inputs.repeat_purchases = purchase_series.repeat_purchases
            and inputs.age_days = purchase_series.age_days
            and inputs.horizon_days = purchase_series.horizon_days
    left join pareto_series as at_recency
        on
            purchase_models.model = 'pareto_nbd'
            and inputs.fit_window = at_recency.fit_window
            and inputs.repeat_purchases = at_recency.repeat_purchases
            and inputs.recency_days = at_recency.time_days
    left join pareto_series as at_age
        on
            purchase_models.model = 'pareto_nbd'
            and inputs.fit_window = at_age.fit_window
            and inputs.repeat_purchases = at_age.repeat_purchases
            and inputs.age_days = at_age.time_days
    left join pareto_integrated
        on
            purchase_models.model = 'pareto_nbd'
            and inputs.fit_window = pareto_integrated.fit_window
            and inputs.repeat_purchases = pareto_integrated.repeat_purchases
            and inputs.recency_days = pareto_integrated.recency_days
            and inputs.age_days = pareto_integrated.age_days
),

alive as (
    select
        *,
        case
            when is_usable then {{ crm_clv_p_alive(
                'repeat_purchases', 'recency_units', 'age_units',
                crm_clv_pareto_ln_gap('ln_f_recency', 'ln_f_age', 'ln_gap_integrated')
            ) }}
        end as p_alive
    from joined
),

final as (
    select
        customer_id,
        fit_window,
        model,
        fit_status,
        repeat_purchases,
        recency_units,
        age_units,
        mean_repeat_value,
        p_alive,
        case
            when is_usable then {{ crm_clv_expected_purchases(
                'repeat_purchases', 'age_units', 'horizon', 'p_alive', 'survived_purchases'
            ) }}
        end as expected_purchases,
        case
            when is_order_value_usable then {{ crm_clv_expected_order_value(
                'repeat_purchases', 'mean_repeat_value', 'order_value_fit_status'
            ) }}
        end as expected_order_value
    from alive
)

select * from final
