{#-
    The name VALUE_MODEL.md gives the fitted CLV parameters, kept for readers who look it
    up there: the same rows and columns as fct_clv_model_fits, which the other marts read.
-#}
{{ config(contract={"enforced": false}) }}

select
    as_of_date,
    model,
    fit_window,
    period_end_date,
    predicts,
    fit_status,
    is_usable,
    is_chosen,
    chosen_by,
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
    constant_value,
    log_likelihood,
    customers,
    iterations,
    backtest_customers,
    backtest_relative_error,
    backtest_mae,
    backtest_rmse
from {{ ref('fct_clv_model_fits') }}
