"""Page `overview`: the release, the last refresh, the headline numbers, the 80/20 curve
and the published ABC, pyramid and quality-customer summaries."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm_value.dashboard import charts, ui

# The curve's points: every customer's cumulative shares, thinned to about 200 points.
PARETO_SQL = """
with customers as (
    select coalesce(value_window_revenue, 0)::double as revenue
    from marts.dim_customers where {where}
),
ranked as (
    select
        row_number() over (order by revenue desc) as n,
        count(*) over () as total,
        sum(revenue) over (order by revenue desc rows unbounded preceding) as cumulative,
        sum(revenue) over () as everything
    from customers
)
select
    n::double / total as customer_share,
    case when everything > 0 then cumulative / everything else 0 end as revenue_share
from ranked
where n = total or n <= 5 or n % greatest(total // 200, 1) = 0
order by n
"""
HEADLINE_SQL = """
with customers as (
    select coalesce(value_window_revenue, 0)::double as revenue, is_quality_customer
    from marts.dim_customers where {where}
),
ranked as (
    select *, row_number() over (order by revenue desc) as n, count(*) over () as total
    from customers
)
select
    count(*) as customers,
    coalesce(sum(revenue), 0) as revenue,
    count(*) filter (where is_quality_customer) as quality_customers,
    sum(revenue) filter (where n <= ceil(0.2 * total)) / nullif(sum(revenue), 0) as top20_share
from ranked
"""


def release_facts(ctx: ui.Context) -> None:
    release = ctx.serving.df(
        "select release_id, cast(as_of_date as varchar) as as_of_date, "
        "strftime(published_at, '%Y-%m-%d %H:%M') as published_at from ops.release"
    )
    if release.empty:
        return
    row = release.iloc[0]
    left, middle, right = st.columns(3)
    left.metric(ctx.t("as_of_date"), row["as_of_date"])
    middle.metric(ctx.t("published_at"), row["published_at"])
    if not ctx.serving.missing("ops.run_history"):
        last_run(ctx, right)
    st.caption(f"{ctx.t('release')}: `{row['release_id']}`")


def last_run(ctx: ui.Context, where) -> None:
    runs = ctx.serving.df(
        "select outcome, run_kind, strftime(started_at, '%Y-%m-%d %H:%M') as started, "
        "failed_stage, failure_reason from ops.run_history order by started_at desc limit 1"
    )
    if runs.empty:
        return
    run = runs.iloc[0]
    where.metric(
        ctx.t("last_run"),
        str(run["outcome"]),
        f"{run['run_kind']} · {run['started']}",
        delta_color="off",
        delta_arrow="off",
    )
    if run["outcome"] != "passed":
        st.warning(f"{run['failed_stage']}: {run['failure_reason']}")


def headline(ctx: ui.Context) -> None:
    where, params = ctx.where()
    numbers = ctx.serving.df(HEADLINE_SQL.format(where=where), params).iloc[0]
    columns = st.columns(4)
    columns[0].metric(ctx.t("customers"), f"{int(numbers['customers']):,}")
    columns[1].metric(ctx.t("revenue"), f"{numbers['revenue']:,.0f}")
    columns[2].metric(ctx.t("quality_customers"), f"{int(numbers['quality_customers']):,}")
    share = numbers["top20_share"]
    columns[3].metric(ctx.t("top20"), "-" if pd.isna(share) else f"{share:.1%}")


def pareto(ctx: ui.Context) -> None:
    where, params = ctx.where()
    points = ctx.serving.df(PARETO_SQL.format(where=where), params)
    start = pd.DataFrame({"customer_share": [0.0], "revenue_share": [0.0]})
    points = pd.concat([start, points], ignore_index=True)
    charts.show(charts.pareto(points, (ctx.t("customer_share"), ctx.t("revenue_share"))), "pareto")


def summary(ctx: ui.Context, table: str, key: str) -> None:
    """A published summary mart: labels in the chosen language, the counts and shares."""
    code = "quality_tier" if table == "fct_quality_customer_summary" else "tier_code"
    frame = ctx.serving.df(
        f"select {ctx.label_column} as tier, {code} as tier_code, customers, "
        f"revenue::double as revenue, share_of_customers, share_of_revenue "
        f"from marts.{table} order by priority_rank"
    )
    ui.table(ctx, frame, key)


def render(ctx: ui.Context) -> None:
    ui.page_header(ctx, "overview")
    if not ctx.serving.missing("ops.release"):
        release_facts(ctx)
    ui.section(ctx, "customers", ("marts.dim_customers",), headline)
    ui.section(ctx, "pareto", ("marts.dim_customers",), pareto)
    summaries = (
        ("abc_summary", "fct_abc_class_summary", "overview_abc"),
        ("pyramid_summary", "fct_pyramid_tier_summary", "overview_pyramid"),
        ("quality_summary", "fct_quality_customer_summary", "overview_quality"),
    )
    for heading, table, key in summaries:
        ui.section(
            ctx,
            heading,
            (f"marts.{table}",),
            lambda c, table=table, key=key: summary(c, table, key),
            filtered=False,
        )


render(ui.context())
