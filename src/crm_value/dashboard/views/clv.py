"""Page `clv`: the CLV and P(alive) distributions of the filtered customers, the chosen
models and their parameters, and the backtest (predicted against actual purchases)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm_value.dashboard import charts, ui

# Parameters of the models (fct_clv_model_fits): shown when the model has them.
PARAMETERS = ["r", "alpha", "a", "b", "s", "beta", "p", "q", "gamma", "log_likelihood"]


def distributions(ctx: ui.Context) -> None:
    where, params = ctx.where()
    values = ctx.serving.df(
        "select clv::double as clv, p_alive from marts.dim_customers "
        f"where clv is not null and {where}",
        params,
    )
    columns = st.columns(4)
    columns[0].metric(ctx.t("customers"), f"{len(values):,}")
    columns[1].metric("CLV Σ", f"{values['clv'].sum():,.0f}")
    columns[2].metric("CLV ⌀", f"{values['clv'].mean():,.0f}" if len(values) else "-")
    columns[3].metric("P(alive) ⌀", f"{values['p_alive'].mean():.1%}" if len(values) else "-")
    left, right = st.columns(2)
    cap = values["clv"].quantile(0.99) if len(values) else 0
    clv = charts.histogram_frame(values["clv"].clip(upper=cap), bins=30)
    with left:
        st.markdown(f"**{ctx.t('clv_dist')}**")
        charts.show(charts.histogram(clv, ("CLV", ctx.t("customers"))), "clv_histogram")
        st.caption(f"≥ p99 ({cap:,.0f}) → last bar")
    alive = charts.histogram_frame(values["p_alive"], bins=20)
    with right:
        st.markdown(f"**{ctx.t('p_alive_dist')}**")
        chart = charts.histogram(alive, ("P(alive)", ctx.t("customers")), percent=True)
        charts.show(chart, "p_alive_histogram")


def parameters(ctx: ui.Context) -> None:
    frame = ctx.serving.df(
        "select model, fit_window, predicts, chosen_by, fit_status, customers, "
        f"{', '.join(PARAMETERS)}, backtest_relative_error, backtest_mae "
        "from marts.fct_clv_model_fits where is_chosen order by predicts desc, fit_window"
    )
    frame = frame.dropna(axis="columns", how="all")
    chosen = frame.loc[frame["predicts"] == "purchases", "model"]
    if not chosen.empty:
        st.metric(ctx.t("chosen_model"), chosen.iloc[0])
    ui.table(ctx, frame, "clv_params")


def backtest(ctx: ui.Context) -> None:
    frame = ctx.serving.df(
        "select purchase_model, is_chosen, frequency_bucket, bucket_order, customers, "
        "mean_predicted_purchases, mean_actual_purchases, relative_error, mae, rmse "
        "from marts.fct_clv_backtest_summary order by purchase_model, bucket_order"
    )
    chosen = frame[frame["is_chosen"] & (frame["frequency_bucket"] != "all")]
    long = pd.concat(
        [
            chosen.assign(kind=ctx.t("predicted"), purchases=chosen["mean_predicted_purchases"]),
            chosen.assign(kind=ctx.t("actual"), purchases=chosen["mean_actual_purchases"]),
        ]
    )[["frequency_bucket", "kind", "purchases"]]
    chart = charts.grouped(
        long, "frequency_bucket", "purchases", "kind", list(chosen["frequency_bucket"])
    )
    charts.show(chart, "backtest")
    ui.table(ctx, frame[frame["frequency_bucket"] == "all"], "backtest_table")


def tracking(ctx: ui.Context) -> None:
    frame = ctx.serving.df(
        "select cast(period_end_date as varchar) as period_end_date, period, "
        "cumulative_predicted_repeat_purchases as predicted, "
        "cumulative_actual_repeat_purchases::double as actual "
        "from marts.fct_clv_backtest_tracking where is_chosen order by unit_index"
    )
    long = frame.melt(id_vars=["period_end_date", "period"], value_vars=["predicted", "actual"])
    long["variable"] = long["variable"].map(
        {"predicted": ctx.t("predicted"), "actual": ctx.t("actual")}
    )
    chart = charts.lines(
        long, "period_end_date", "value", "variable", titles=(ctx.t("date"), "Σ", "")
    )
    charts.show(chart, "backtest_tracking")


def render(ctx: ui.Context) -> None:
    ui.page_header(ctx, "clv")
    ui.section(ctx, "clv_dist", ("marts.dim_customers",), distributions)
    ui.section(ctx, "model_params", ("marts.fct_clv_model_fits",), parameters, filtered=False)
    ui.section(ctx, "backtest", ("marts.fct_clv_backtest_summary",), backtest, filtered=False)
    ui.section(
        ctx, "backtest_tracking", ("marts.fct_clv_backtest_tracking",), tracking, filtered=False
    )


render(ui.context())
