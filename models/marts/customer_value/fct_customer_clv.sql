{#-
    Purchase potential and churn, per customer with a valid order before as_of_date:
    P(alive) and expected purchase days over clv_horizon_days from the chosen purchase
    model (clv_model_parameters.is_chosen, full window), the expected order value from
    Gamma-Gamma (or its limit), and CLV = expected purchases x expected order value x
    clv_margin_rate (undiscounted). Plain SQL over the stored parameters, so any engine
    can score. A model the data could not fit leaves its columns null.
-#}
{%- do crm_validate_clv_vars() -%}
{%- set horizon = var('clv_horizon_days') / var('clv_time_unit_days') -%}

with

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
    from {{ ref('clv_model_parameters') }}
    where fit_window = 'full' and is_chosen
),

purchase_model as (
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

inputs as (
    select
        customer_id,
        as_of_date,
        repeat_purchases,
        recency_days,
        age_days,
        recency_units,
        age_units,
        mean_repeat_value
    from {{ ref('int_customers_clv_inputs') }}
),

purchase_series as (
    select
        model,
        repeat_purchases,
        age_days,
        survived_purchases
    from {{ ref('int_clv_purchase_series') }}
    where fit_window = 'full'
),

pareto_series as (
    select
        repeat_purchases,
        time_days,
        ln_f
    from {{ ref('int_clv_pareto_nbd_series') }}
    where fit_window = 'full'
),

pareto_integrated as (
    select
        repeat_purchases,
        recency_days,
        age_days,
        ln_gap
    from {{ ref('int_clv_pareto_nbd_quadrature') }}
    where fit_window = 'full'
),

joined as (
    select
        inputs.customer_id,
        inputs.as_of_date,
        inputs.repeat_purchases,
        inputs.recency_units,
        inputs.age_units,
        inputs.mean_repeat_value,
        purchase_model.model,
        purchase_model.fit_status,
        purchase_model.is_usable,
        purchase_model.r,
        purchase_model.alpha,
        purchase_model.a,
        purchase_model.b,
        purchase_model.s,
        purchase_model.beta,
        purchase_model.purchase_rate,
        purchase_model.dropout_probability,
        order_value_model.order_value_fit_status,
        order_value_model.is_order_value_usable,
        order_value_model.p,
        order_value_model.q,
        order_value_model.gamma,
        order_value_model.spend_rate,
        order_value_model.spend_scale,
        order_value_model.constant_value,
        purchase_series.survived_purchases,
        at_recency.ln_f as ln_f_recency,
        at_age.ln_f as ln_f_age,
        pareto_integrated.ln_gap as ln_gap_integrated
    from inputs
    cross join purchase_model
    cross join order_value_model
    left join purchase_series
        on
            purchase_model.model = purchase_series.model
            and inputs.repeat_purchases = purchase_series.repeat_purchases
            and inputs.age_days = purchase_series.age_days
    left join pareto_series as at_recency
        on
            purchase_model.model = 'pareto_nbd'
            and inputs.repeat_purchases = at_recency.repeat_purchases
            and inputs.recency_days = at_recency.time_days
    left join pareto_series as at_age
        on
            purchase_model.model = 'pareto_nbd'
            and inputs.repeat_purchases = at_age.repeat_purchases
            and inputs.age_days = at_age.time_days
    left join pareto_integrated
        on
            purchase_model.model = 'pareto_nbd'
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

scored as (
    select
        *,
        case
            when is_usable then {{ crm_clv_expected_purchases(
                'repeat_purchases', 'age_units', horizon, 'p_alive', 'survived_purchases'
            ) }}
        end as expected_purchases,
        case
            when is_order_value_usable then {{ crm_clv_expected_order_value(
                'repeat_purchases', 'mean_repeat_value', 'order_value_fit_status'
            ) }}
        end as expected_order_value
    from alive
),

final as (
    select
        customer_id,
        as_of_date,
        model as purchase_model,
        cast(repeat_purchases as integer) as repeat_purchases,
        recency_units,
        age_units,
        cast(mean_repeat_value as decimal(18, 2)) as mean_repeat_value,
        p_alive,
        expected_purchases,
        cast(expected_order_value as decimal(18, 2)) as expected_order_value,
        cast(
            expected_purchases * expected_order_value * {{ var('clv_margin_rate') }}
            as decimal(18, 2)
        ) as clv
    from scored
)

select * from final
