"""Page `value_dimensions`: the six value dimensions, the loyalty types and the lifecycle
stages of the filtered customers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm_value.dashboard import charts, texts, ui

COLUMNS = ["tier", "tier_code", "customers", "share_of_customers", "revenue", "share_of_revenue"]


def dimensions(ctx: ui.Context) -> None:
    frames = []
    grid = st.columns(3)
    for index, dimension in enumerate(ui.VALUE_DIMENSIONS):
        counts = ui.tier_counts(ctx, dimension)
        name = texts.scheme(dimension, ctx.lang)
        chart = charts.bars(
            counts,
            "tier",
            "share_of_customers",
            titles=(None, ctx.t("share_of_customers")),
            order=list(counts["tier"]),
            percent=True,
            color="tier",
        )
        with grid[index % 3]:
            st.markdown(f"**{name}**")
            charts.show(chart, f"dimension_{dimension}")
        frames.append(counts[COLUMNS].assign(dimension=name, scheme=dimension))
    table = pd.concat(frames, ignore_index=True)
    ui.table(ctx, table[["dimension", "scheme", *COLUMNS]], "value_dims_table")


def tiers(ctx: ui.Context, scheme: str) -> None:
    counts = ui.tier_counts(ctx, scheme)[COLUMNS]
    left, right = st.columns([3, 2])
    with left:
        chart = charts.bars(
            counts,
            "tier",
            "customers",
            titles=(ctx.t("tier"), ctx.t("customers")),
            order=list(counts["tier"]),
            color="tier",
        )
        charts.show(chart, scheme)
    with right:
        ui.table(ctx, counts, f"{scheme}_table")


def render(ctx: ui.Context) -> None:
    ui.page_header(ctx, "value_dimensions")
    needs = ("marts.dim_customers",)
    ui.section(ctx, "value_dims", needs, dimensions)
    ui.section(ctx, "loyalty_types", needs, lambda c: tiers(c, "loyalty_type"))
    ui.section(ctx, "lifecycle", needs, lambda c: tiers(c, "lifecycle_stage"))


render(ui.context())
