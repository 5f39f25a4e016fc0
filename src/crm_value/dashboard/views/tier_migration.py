"""Page `tier_migration`: for a chosen scheme and two chosen dates of the tier history,
the matrix of customers moving from tier to tier (computed from fct_customer_tier_history,
so any two dates, not only consecutive ones), and the customers per tier over time."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm_value.dashboard import charts, texts, ui

HISTORY = "marts.fct_customer_tier_history"
# A customer absent at a date, or without a tier in the scheme there, is 'not_in_scope'
# (as in fct_tier_migration); customers out of scope at both dates are not counted.
MATRIX_SQL = """
with before as (
    select customer_id, {column} as tier from marts.fct_customer_tier_history
    where as_of_date = ?::date and {where}
),
after as (
    select customer_id, {column} as tier from marts.fct_customer_tier_history
    where as_of_date = ?::date and {where}
)
select
    coalesce(before.tier, 'not_in_scope') as from_tier,
    coalesce(after.tier, 'not_in_scope') as to_tier,
    count(*)::integer as customers
from before
full outer join after on before.customer_id = after.customer_id
where before.tier is not null or after.tier is not null
group by all
order by all
"""
TREND_SQL = """
select cast(as_of_date as varchar) as as_of_date, {column} as tier_code,
    count(*)::integer as customers
from marts.fct_customer_tier_history
where {column} is not null and {where}
group by all
order by all
"""


def choices(ctx: ui.Context) -> tuple[str, str, str] | None:
    """The scheme and the two dates chosen (widgets), or None with fewer than two dates."""
    dates = ctx.serving.df(
        f"select distinct cast(as_of_date as varchar) as d from {HISTORY} order by d"
    )["d"].tolist()
    if len(dates) < 2:
        st.info(ctx.t("history_needs_dates"))
        return None
    schemes = list(ui.SCHEME_COLUMNS)
    left, middle, right = st.columns(3)
    scheme = left.selectbox(
        ctx.t("scheme"),
        schemes,
        key="migration_scheme",
        format_func=lambda s: texts.scheme(s, ctx.lang),
    )
    start = middle.selectbox(ctx.t("from_date"), dates, index=len(dates) - 2, key="migration_from")
    end = right.selectbox(ctx.t("to_date"), dates, index=len(dates) - 1, key="migration_to")
    return scheme, start, end


def matrix(ctx: ui.Context, scheme: str, start: str, end: str) -> pd.DataFrame:
    where, params = ctx.customer_filter()
    sql = MATRIX_SQL.format(column=ui.SCHEME_COLUMNS[scheme], where=where)
    frame = ctx.serving.df(sql, [start, *params, end, *params])
    labels = {**ui.label_map(ctx, scheme), ui.NOT_IN_SCOPE: ctx.t("not_in_scope")}
    frame["from"] = frame["from_tier"].map(lambda c: labels.get(c, c))
    frame["to"] = frame["to_tier"].map(lambda c: labels.get(c, c))
    return frame


def migration(ctx: ui.Context) -> None:
    chosen = choices(ctx)
    if chosen is None:
        return
    scheme, start, end = chosen
    frame = matrix(ctx, scheme, start, end)
    order = [*ui.label_map(ctx, scheme).values(), ctx.t("not_in_scope")]
    chart = charts.heatmap(
        frame,
        "to",
        "from",
        "customers",
        titles=(f"{ctx.t('to_date')} {end}", f"{ctx.t('from_date')} {start}", ctx.t("customers")),
        orders=(order, order),
    ).properties(height=charts.AXES + 40 * frame["from"].nunique())
    charts.show(chart, "migration")
    moved = frame[(frame["from_tier"] != frame["to_tier"])]["customers"].sum()
    total = frame["customers"].sum()
    st.caption(f"{ctx.t('customers')}: {total:,} · ≠ {moved:,} ({moved / max(total, 1):.1%})")
    ui.table(ctx, frame[["from", "to", "from_tier", "to_tier", "customers"]], "migration_table")


def trend(ctx: ui.Context) -> None:
    scheme = st.session_state.get("migration_scheme", "pyramid")
    where, params = ctx.customer_filter()
    sql = TREND_SQL.format(column=ui.SCHEME_COLUMNS[scheme], where=where)
    frame = ui.with_labels(ctx, ctx.serving.df(sql, params), scheme)
    order = list(dict.fromkeys(frame["tier"]))
    chart = charts.lines(
        frame,
        "as_of_date",
        "customers",
        "tier",
        titles=(ctx.t("date"), ctx.t("customers"), texts.scheme(scheme, ctx.lang)),
        order=order,
    )
    charts.show(chart, "tier_trend")
    wide = frame.pivot_table(
        index="as_of_date", columns="tier", values="customers", aggfunc="sum", sort=False
    )
    ui.table(ctx, wide[order].reset_index(), "trend_table")


def render(ctx: ui.Context) -> None:
    ui.page_header(ctx, "tier_migration")
    needs = (HISTORY,) + (("marts.dim_customers",) if ctx.filtered else ())
    ui.section(ctx, "migration", needs, migration)
    ui.section(ctx, "trend", needs, trend)


render(ui.context())
