"""Page `pyramid_abc`: the customer pyramid and the ABC classes of the filtered
customers (counts, revenue shares) with each tier's strategy."""

from __future__ import annotations

import streamlit as st

from crm_value.dashboard import charts, ui

COLUMNS = ["tier", "tier_code", "customers", "revenue", "share_of_customers", "share_of_revenue"]


def strategy(ctx: ui.Context, scheme: str):
    return ctx.serving.df(
        "select tier_code, service_level, contact_cadence_days, "
        f"{ctx.action_column} as recommended_actions "
        "from marts.dim_tier_strategy where scheme = ?",
        [scheme],
    )


def tiers(ctx: ui.Context, scheme: str) -> None:
    counts = ui.tier_counts(ctx, scheme)[COLUMNS]
    measures = {
        "share_of_customers": ctx.t("share_of_customers"),
        "share_of_revenue": ctx.t("share_of_revenue"),
    }
    left, right = st.columns([3, 2])
    with left:
        charts.show(charts.share_bars(counts, "tier", measures, title=ctx.t("tier")), scheme)
    with right:
        shares = counts[["tier", "customers", "revenue"]]
        ui.table(ctx, shares, f"{scheme}_counts")
        missing = ui.unclassified(ctx, scheme)
        if missing:
            st.caption(f"{ctx.t('not_classified')}: {missing:,}")
    table = counts.merge(strategy(ctx, scheme), on="tier_code", how="left")
    ui.table(ctx, table, f"{scheme}_table")


def render(ctx: ui.Context) -> None:
    ui.page_header(ctx, "pyramid_abc")
    needs = ("marts.dim_customers", "marts.dim_tier_strategy")
    ui.section(ctx, "pyramid", needs, lambda c: tiers(c, "pyramid"))
    ui.section(ctx, "abc", needs, lambda c: tiers(c, "abc"))


render(ui.context())
