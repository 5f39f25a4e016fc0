{#-
    The CLV models fitted at this build, one row per model and fit window.

    Every purchase model (BG/NBD, MBG/NBD, Pareto/NBD) and the order-value model
    (Gamma-Gamma) is fitted by maximum likelihood twice: on every customer with a valid
    order before as_of_date (fit_window 'full', what the marts score with) and on the
    backtest's calibration customers with their purchase days before
    clv_calibration_end_date (fit_window 'calibration', what predicts the holdout). The
    fitting is Python (crm_value.clv_fit, numpy and scipy), reached from SQL on each
    engine by crm_fit_clv_models; every score is SQL over these rows.

    A model never stops the build: a fit the data put on a boundary is answered by the
    limit model (fit_status 'limit_...'), and one that cannot be made at all (too few
    buyers, no repeat purchase, no convergence) is 'skipped: <why>', with null
    parameters, null scores downstream and a warning test. Fewer buyers than var
    clv_min_customers in a window skip that window's fits.
-#}
{%- do crm_validate_clv_vars() -%}

with

analysis_date as (

    select
        as_of_date,
        clv_calibration_end_date
    from {{ ref('int_analysis_date_resolved') }}

),

fits as (

    {{ crm_fit_clv_models(ref('int_customers_clv_inputs')) }}

)

select
    analysis_date.as_of_date,
    fits.fit_window,
    case
        when fits.fit_window = 'full' then analysis_date.as_of_date
        else analysis_date.clv_calibration_end_date
    end as period_end_date,
    fits.model,
    fits.predicts,
    fits.fit_status,
    fits.is_usable,
    fits.r,
    fits.alpha,
    fits.a,
    fits.b,
    fits.s,
    fits.beta,
    fits.purchase_rate,
    fits.dropout_probability,
    fits.p,
    fits.q,
    fits.gamma,
    fits.spend_rate,
    fits.spend_scale,
    fits.constant_value,
    fits.log_likelihood,
    fits.customers,
    fits.iterations
from fits
cross join analysis_date
