"""The hand-written side of the benchmark: the CLV models and their backtest, in numpy and
scipy, on the tables benchmarks/handwritten_value_model.sql leaves (clv_inputs,
purchase_days), as one would write them by hand. Same rules as the marts, default vars:
weeks, a 365-day horizon, BG/NBD scoring, a 273-day holdout.

- fit every model (BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma) on the full period and on
  the calibration period (the project's fitting code, as the dbt model calls it);
- score every customer with BG/NBD and Gamma-Gamma: P(alive), expected purchases (scipy's
  hyp2f1), expected order value, CLV; into the table `clv`;
- the backtest: every purchase model predicts each calibration customer's holdout purchase
  days, into `clv_backtest`, with the summary per calibration frequency and in total
  (`clv_backtest_summary`) and the tracking of cumulative repeat purchase days per week
  (`clv_backtest_tracking`).

Call `run(con)` on the connection that ran the SQL, as bench_value_model.py does: the
dates come from that session's variables (`as_of_date`, `calibration_end`), which a new
connection does not have.
"""

from __future__ import annotations

import bisect
import datetime as dt

import duckdb
import numpy as np
import pandas as pd
from scipy.special import hyp2f1

from crm_value.clv import Fit, fit_order_value, fit_purchase_models, pareto_nbd_log_f

UNIT, HORIZON, HOLDOUT = 7, 365 / 7, 273 / 7


def p_alive_and_expected(model, p, x, t_x, big_t, t):
    """P(alive) and expected purchases in the next t (the papers' closed forms)."""
    r, alpha = p["r"], p["alpha"]
    if model == "pareto_nbd":
        s, beta = p["s"], p["beta"]
        ln_f_tx = pareto_nbd_log_f((r, alpha, s, beta), x, t_x)
        ln_f_t = pareto_nbd_log_f((r, alpha, s, beta), x, big_t)
        with np.errstate(divide="ignore", over="ignore"):
            ln_odds = (
                np.log(s)
                + (r + x) * np.log(alpha + big_t)
                + s * np.log(beta + big_t)
                + ln_f_tx
                + np.log(-np.expm1(ln_f_t - ln_f_tx))
            )
            alive = np.where(t_x >= big_t, 1.0, 1 / (1 + np.exp(ln_odds)))
        grow = (r + x) * (beta + big_t) / ((alpha + big_t) * (s - 1))
        return alive, grow * (1 - ((beta + big_t) / (beta + big_t + t)) ** (s - 1)) * alive
    a, b = p["a"], p["b"]
    modified = model == "mbgnbd"
    with np.errstate(divide="ignore", over="ignore"):
        ratio = ((alpha + big_t) / (alpha + t_x)) ** (r + x)
        if modified:
            alive = 1 / (1 + a / (b + x) * ratio)
        else:
            alive = 1 / (1 + np.where(x > 0, a / (b + x - 1) * ratio, 0.0))
    shift = 1.0 if modified else 0.0
    z = t / (alpha + big_t + t)
    tail = ((alpha + big_t) / (alpha + big_t + t)) ** (r + x)
    head = (a + b + x - 1 + shift) / (a - 1)
    expected = head * (1 - tail * hyp2f1(r + x, b + x + shift, a + b + x - 1 + shift, z)) * alive
    return alive, expected


def order_value(p, x, m_x):
    """Gamma-Gamma's expected value of a purchase day; NaN where its mean does not exist."""
    with np.errstate(divide="ignore", invalid="ignore"):
        repeat = (p["gamma"] + m_x * x) * p["p"] / (p["p"] * x + p["q"] - 1)
        once = p["p"] * p["gamma"] / (p["q"] - 1)
    return np.where(
        x > 0, np.where(p["p"] * x + p["q"] > 1, repeat, np.nan), np.where(p["q"] > 1, once, np.nan)
    )


def store(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register(f"{name}_frame", frame)
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_frame")
    con.unregister(f"{name}_frame")


def floats(frame: pd.DataFrame, *names: str) -> tuple[np.ndarray, ...]:
    return tuple(frame[name].to_numpy(dtype=float) for name in names)


def mean_value(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The average value of a repeat purchase day; 0 for a customer with none."""
    return frame[name].fillna(0).to_numpy(dtype=float)


def score(con: duckdb.DuckDBPyConnection, d: pd.DataFrame) -> None:
    """Every customer scored with BG/NBD (the default clv_model) and Gamma-Gamma, both fitted
    on the full period, into `clv`."""
    x, t_x, big_t = floats(d, "x", "t_x", "big_t")
    m_x = mean_value(d, "m_x")
    bgnbd = fit_purchase_models(x, t_x, big_t)["bgnbd"].params
    gg = fit_order_value(x, m_x).params
    d["p_alive"], d["expected_purchases"] = p_alive_and_expected(
        "bgnbd", bgnbd, x, t_x, big_t, HORIZON
    )
    d["clv"] = d["expected_purchases"] * order_value(gg, x, m_x)
    store(con, "clv", d[["customer_id", "p_alive", "expected_purchases", "clv"]])


def backtest_frame(cal: pd.DataFrame, calibration: dict[str, Fit]) -> pd.DataFrame:
    """Each calibration customer's holdout purchase days as every purchase model predicts
    them, and her order value as Gamma-Gamma does, next to what she did."""
    xc, txc, tc = floats(cal, "x_cal", "t_x_cal", "big_t_cal")
    mc = mean_value(cal, "m_x_cal")
    value = np.round(order_value(fit_order_value(xc, mc).params, xc, mc), 2)
    frames = []
    for model, fit in calibration.items():
        alive, predicted = p_alive_and_expected(model, fit.params, xc, txc, tc, HOLDOUT)
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": cal["customer_id"],
                    "model": model,
                    "x": xc,
                    "p_alive": alive,
                    "predicted": predicted,
                    "actual": cal["actual"].to_numpy(dtype=float),
                    "predicted_value": value,
                    "actual_value": cal["actual_value"].round(2),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def backtest_summary(backtest: pd.DataFrame) -> pd.DataFrame:
    """The backtest per model and calibration frequency (0 to 7+), and per model in total.
    Adds its `bucket` and `error` columns to `backtest` rather than copy a large frame."""
    backtest["bucket"] = np.minimum(backtest["x"], 7).astype(int).astype(str).replace("7", "7+")
    backtest["error"] = backtest["predicted"] - backtest["actual"]
    groups = list(backtest.groupby(["model", "bucket"]))
    groups += [((model, "all"), g) for model, g in backtest.groupby("model")]
    rows = []
    for (model, bucket), g in groups:
        sold = g[g["actual"] > 0]
        rows.append(
            {
                "model": model,
                "bucket": bucket,
                "customers": len(g),
                "predicted": g["predicted"].sum(),
                "actual": g["actual"].sum(),
                "relative_error": g["error"].sum() / g["actual"].sum()
                if g["actual"].sum()
                else None,
                "mae": g["error"].abs().mean(),
                "rmse": float(np.sqrt((g["error"] ** 2).mean())),
                "order_value_error": (sold["predicted_value"].sum() - sold["actual_value"].sum())
                / sold["actual_value"].sum()
                if len(sold)
                else None,
            }
        )
    return pd.DataFrame(rows)


def backtest_tracking(
    con: duckdb.DuckDBPyConnection, cal: pd.DataFrame, calibration: dict[str, Fit]
) -> pd.DataFrame:
    """Cumulative repeat purchase days of the calibration customers at each week's end from
    the first one's first purchase to the as-of date: actual, and as every purchase model
    predicts them per cohort of first purchase date."""
    as_of, cal_end = con.execute(
        "SELECT getvariable('as_of_date'), getvariable('calibration_end')"
    ).fetchall()[0]
    repeats = con.execute(
        "SELECT p.purchase_date, count(*) FILTER (WHERE p.purchase_date > c.first_date) "
        "FROM purchase_days AS p INNER JOIN clv_inputs AS c USING (customer_id) "
        "WHERE c.is_calibration GROUP BY ALL ORDER BY 1"
    ).fetchall()
    repeat_dates = [r[0] for r in repeats]
    cumulative = np.cumsum([r[1] for r in repeats])
    first = pd.to_datetime(cal["first_date"]).dt.date
    cohorts = first.value_counts()
    weight = cohorts.to_numpy(dtype=float)
    start = (min(first) - cal_end).days // UNIT + 1
    last = -(-(as_of - cal_end).days // UNIT)
    points = [min(cal_end + dt.timedelta(days=UNIT * k), as_of) for k in range(start, last + 1)]
    tracking = []
    for model, fit in calibration.items():
        for point in points:
            lags = np.array([(point - f).days - 1 for f in cohorts.index], dtype=float)
            keep = lags >= 0
            zeros = np.zeros(int(keep.sum()))
            _, expected = p_alive_and_expected(
                model, fit.params, zeros, zeros, zeros, lags[keep] / UNIT
            )
            before = bisect.bisect_left(repeat_dates, point)
            tracking.append(
                {
                    "model": model,
                    "period_end_date": point,
                    "actual": int(cumulative[before - 1]) if before else 0,
                    "predicted": float((weight[keep] * expected).sum()),
                }
            )
    return pd.DataFrame(tracking)


def run(con: duckdb.DuckDBPyConnection) -> None:
    """The scores, then the backtest of every purchase model fitted on the calibration
    period: the four tables of the module docstring."""
    d = con.execute("SELECT * FROM clv_inputs").df()
    cal = d[d["is_calibration"]].reset_index(drop=True)
    score(con, d)
    calibration = fit_purchase_models(*floats(cal, "x_cal", "t_x_cal", "big_t_cal"))
    backtest = backtest_frame(cal, calibration)
    store(con, "clv_backtest", backtest)
    store(con, "clv_backtest_summary", backtest_summary(backtest))
    store(con, "clv_backtest_tracking", backtest_tracking(con, cal, calibration))
