"""The CLV models fitted at this build, one row per model and fit window.

Every purchase model (BG/NBD, MBG/NBD, Pareto/NBD) and the order-value model
(Gamma-Gamma) is fitted by maximum likelihood twice: on every customer with a valid
order before as_of_date (fit_window 'full', what the marts score with) and on the
backtest's calibration customers with their purchase days before
clv_calibration_end_date (fit_window 'calibration', what predicts the holdout). The
fitting is `crm_value.clv` (numpy and scipy); every score is SQL over these rows.

A model never stops the build: a fit the data put on a boundary is answered by the
limit model (fit_status 'limit_...'), and one that cannot be made at all (too few
buyers, no repeat purchase, no convergence) is 'skipped: <why>', with null parameters,
null scores downstream and a warning test. Fewer buyers than var clv_min_customers in a
window skip that window's fits.
"""

import numpy as np
import pandas as pd

PARAMETERS = [
    "r",
    "alpha",
    "a",
    "b",
    "s",
    "beta",
    "purchase_rate",
    "dropout_probability",
    "p",
    "q",
    "gamma",
    "spend_rate",
    "spend_scale",
    "constant_value",
]
WINDOWS = {
    # fit_window: (which customers, x, t_x, T, m_x)
    "full": (None, "repeat_purchases", "recency_units", "age_units", "mean_repeat_value"),
    "calibration": (
        "is_calibration_customer",
        "calibration_repeat_purchases",
        "calibration_recency_units",
        "calibration_age_units",
        "calibration_mean_repeat_value",
    ),
}


def _columns(relation, names):
    """The named columns as float arrays (nulls as 0), and booleans as they are."""
    select = ", ".join(f"coalesce(cast({n} as double), 0) as {n}" for n in names)
    return {k: np.asarray(v) for k, v in relation.project(select).fetchnumpy().items()}


def model(dbt, session):
    dbt.config(materialized="table")
    from crm_value.clv import ORDER_VALUE_MODEL, PURCHASE_MODELS, Fit, fit_order_value
    from crm_value.clv import fit_purchase_models

    ((as_of_date, calibration_end_date),) = (
        dbt.ref("int_analysis_date_resolved")
        .project("as_of_date, clv_calibration_end_date")
        .fetchall()
    )
    min_customers = int(dbt.config.get("clv_min_customers"))
    # 'scoring' (a backfill date, with a fixed clv_model): only the model that scores and
    # Gamma-Gamma on the full window; the rest is 'skipped' with that reason.
    chosen = dbt.config.get("clv_model")
    only_scoring = dbt.config.get("clv_fit_scope") == "scoring" and chosen in PURCHASE_MODELS
    inputs = dbt.ref("int_customers_clv_inputs")
    rows = []
    for window, (who, x_name, t_x_name, t_name, m_name) in WINDOWS.items():
        names = [x_name, t_x_name, t_name, m_name] + ([who] if who else [])
        data = _columns(inputs, names)
        keep = data[who] > 0 if who else np.ones(len(data[x_name]), dtype=bool)
        x, t_x, big_t, m_x = (data[n][keep] for n in (x_name, t_x_name, t_name, m_name))
        everything = (*PURCHASE_MODELS, ORDER_VALUE_MODEL)
        wanted = (chosen, ORDER_VALUE_MODEL) if window == "full" else ()
        if len(x) < min_customers:
            where = "with a valid order" if window == "full" else "in the calibration period"
            why = f"skipped: {len(x)} customers {where}, fewer than clv_min_customers ({min_customers})"
            fits = {m: Fit(m, why, n_customers=len(x)) for m in everything}
        elif only_scoring:
            why = "skipped: not fitted for a backfill date (clv_fit_scope scoring)"
            fits = {m: Fit(m, why, n_customers=len(x)) for m in everything if m not in wanted}
            if window == "full":
                fits.update(fit_purchase_models(x, t_x, big_t, models=[chosen]))
                fits[ORDER_VALUE_MODEL] = fit_order_value(x, m_x)
            fits = {m: fits[m] for m in everything}
        else:
            fits = fit_purchase_models(x, t_x, big_t)
            fits[ORDER_VALUE_MODEL] = fit_order_value(x, m_x)
        period_end = as_of_date if window == "full" else calibration_end_date
        for fit in fits.values():
            rows.append(
                {
                    "as_of_date": as_of_date,
                    "fit_window": window,
                    "period_end_date": period_end,
                    "model": fit.model,
                    "predicts": "order_value" if fit.model == ORDER_VALUE_MODEL else "purchases",
                    "fit_status": fit.status,
                    "is_usable": fit.usable,
                    **{name: fit.params.get(name) for name in PARAMETERS},
                    "log_likelihood": fit.log_likelihood,
                    "customers": fit.n_customers,
                    "iterations": fit.iterations,
                }
            )
    frame = pd.DataFrame(rows)
    return frame.astype({name: "float64" for name in [*PARAMETERS, "log_likelihood"]}).astype(
        {"customers": "int64", "iterations": "int64"}
    )
