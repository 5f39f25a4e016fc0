"""The CLV model's parameters, fitted by maximum likelihood at each build.

With fewer buyers than var clv_min_customers the model is not fitted (fit_status says
so, a warning test reports it, and fct_customer_clv is empty): a handful of customers
cannot identify four parameters.

BG/NBD (r, alpha, a, b) over every customer with a valid order before as_of_date, and
Gamma-Gamma (p, q, gamma) over those with repeat purchases, from
`int_customers_clv_inputs`. One row, with the log-likelihoods and the as_of_date. The
fitting is `crm_value.clv` (numpy and scipy); every score is SQL over this row
(`fct_customer_clv`). A fit that does not converge raises, which stops the build.
"""

import pandas as pd


def model(dbt, session):
    dbt.config(materialized="table")
    from crm_value.clv import FitError, fit_bgnbd, fit_gamma_gamma

    analysis_date = dbt.ref("int_analysis_date_resolved").df()
    as_of_date = pd.Timestamp(analysis_date["as_of_date"].iloc[0]).date()
    inputs = dbt.ref("int_customers_clv_inputs").df()
    x = inputs["repeat_purchases"].to_numpy(dtype=float)
    min_customers = int(dbt.config.get("clv_min_customers"))
    if len(inputs) < min_customers:
        # Too few buyers to identify the model: no parameters, no scores, and a warning
        # test says so. Not a failed fit: the fit is not attempted.
        names = ["r", "alpha", "a", "b", "bgnbd_log_likelihood", "bgnbd_customers", "p", "q",
                 "gamma", "gamma_gamma_log_likelihood", "gamma_gamma_customers"]
        status = f"skipped: {len(inputs)} customers, fewer than clv_min_customers ({min_customers})"
        return pd.DataFrame(
            {"as_of_date": [as_of_date], "fit_status": [status], **{n: [None] for n in names}}
        ).astype({n: "float64" for n in names})
    try:
        bgnbd = fit_bgnbd(x, inputs["recency_units"].to_numpy(dtype=float),
                          inputs["age_units"].to_numpy(dtype=float))
        gamma_gamma = fit_gamma_gamma(x, inputs["mean_repeat_value"].fillna(0).to_numpy(dtype=float))
    except FitError as exc:
        raise RuntimeError(
            f"CLV model (as_of_date {as_of_date}): {exc}. Nothing after it was built."
        ) from exc
    return pd.DataFrame(
        {
            "as_of_date": [as_of_date],
            "fit_status": ["fitted"],
            **{name: [value] for name, value in bgnbd.params.items()},
            "bgnbd_log_likelihood": [bgnbd.log_likelihood],
            "bgnbd_customers": [bgnbd.n_customers],
            **{name: [value] for name, value in gamma_gamma.params.items()},
            "gamma_gamma_log_likelihood": [gamma_gamma.log_likelihood],
            "gamma_gamma_customers": [gamma_gamma.n_customers],
        }
    )
