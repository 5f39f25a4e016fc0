"""Page `rfm`: the R x FM grid (customers and revenue per cell), the eight RFM types and
the published RFM segment summary."""

from __future__ import annotations

import streamlit as st

from crm_value.dashboard import charts, ui

GRID_SQL = """
select r_score, fm_score, count(*)::integer as customers,
    coalesce(sum(monetary), 0)::double as revenue
from marts.fct_customer_rfm
where {where}
group by all
order by r_score, fm_score
"""


def grid(ctx: ui.Context) -> None:
    where, params = ctx.customer_filter()
    cells = ctx.serving.df(GRID_SQL.format(where=where), params)
    scores = [5, 4, 3, 2, 1]
    left, right = st.columns(2)
    for column, value, title in (
        (left, "customers", ctx.t("rfm_count")),
        (right, "revenue", ctx.t("rfm_revenue")),
    ):
        chart = charts.heatmap(
            cells,
            "r_score",
            "fm_score",
            value,
            titles=("R", "FM", title),
            orders=([1, 2, 3, 4, 5], scores),
        ).properties(height=320)
        with column:
            st.markdown(f"**{title}**")
            charts.show(chart, f"rfm_{value}")
    ui.table(ctx, cells, "rfm_grid")


def eight_types(ctx: ui.Context) -> None:
    counts = ui.tier_counts(ctx, "rfm8")
    columns = [
        "tier",
        "tier_code",
        "customers",
        "revenue",
        "share_of_customers",
        "share_of_revenue",
    ]
    measures = {
        "share_of_customers": ctx.t("share_of_customers"),
        "share_of_revenue": ctx.t("share_of_revenue"),
    }
    charts.show(charts.share_bars(counts, "tier", measures, title=ctx.t("tier")), "rfm8")
    ui.table(ctx, counts[columns], "rfm8_table")


def segments(ctx: ui.Context) -> None:
    frame = ctx.serving.df(
        f"select {ctx.label_column} as tier, tier_code, customers, revenue::double as revenue, "
        "share_of_customers, share_of_revenue from marts.fct_rfm_segment_summary "
        "order by priority_rank"
    )
    chart = charts.bars(
        frame,
        "tier",
        "customers",
        titles=(ctx.t("tier"), ctx.t("customers")),
        order=list(frame["tier"]),
    )
    charts.show(chart, "rfm_segments")
    ui.table(ctx, frame, "rfm_segment_table")


def render(ctx: ui.Context) -> None:
    ui.page_header(ctx, "rfm")
    ui.section(ctx, "rfm_grid", ("marts.fct_customer_rfm", "marts.dim_customers"), grid)
    ui.section(ctx, "rfm8", ("marts.dim_customers",), eight_types)
    ui.section(ctx, "rfm_segments", ("marts.fct_rfm_segment_summary",), segments, filtered=False)


render(ui.context())
