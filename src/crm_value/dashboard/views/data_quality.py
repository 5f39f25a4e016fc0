"""Page `data_quality`: the customer files' completeness and timeliness by region, type
and channel, the rejected raw rows by reason, where every raw row went, and the refresh
history. Published summaries and audit tables: the filters do not apply."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from crm_value.dashboard import charts, ui

REJECTED = re.compile(r"audit\.rejected_[a-z_]+")
REASON_SEPARATOR = ","  # the base models join the reason codes with a comma (concat_ws)
QUALITY_DIMENSIONS = ("region", "customer_type", "acquisition_channel")


def file_quality(ctx: ui.Context) -> None:
    frame = ctx.serving.df(
        "select dimension, dimension_value, customers, complete_share, current_share "
        "from marts.fct_customer_file_quality_summary order by dimension, customers desc"
    )
    columns = st.columns(3)
    for column, dimension in zip(columns, QUALITY_DIMENSIONS, strict=True):
        part = frame[frame["dimension"] == dimension]
        long = part.melt(
            id_vars=["dimension_value"], value_vars=["complete_share", "current_share"]
        )
        long["variable"] = long["variable"].map(
            {"complete_share": ctx.t("complete_share"), "current_share": ctx.t("current_share")}
        )
        chart = charts.grouped(
            long, "dimension_value", "value", "variable", list(part["dimension_value"])
        )
        with column:
            st.markdown(f"**{ctx.t(dimension)}**")
            charts.show(chart.properties(height=260), f"quality_{dimension}")
    ui.table(ctx, frame, "file_quality")


def rejected_tables(ctx: ui.Context) -> list[str]:
    """The release's audit.rejected_* tables (names from its catalog, checked)."""
    names = ctx.serving.df(
        "select 'audit.' || table_name as name from duckdb_tables() "
        "where database_name = 'serving' and schema_name = 'audit' "
        "and table_name like 'rejected\\_%' escape '\\' order by 1"
    )["name"]
    return [name for name in names if REJECTED.fullmatch(name)]


def rejected(ctx: ui.Context) -> None:
    tables = rejected_tables(ctx)
    if not tables:
        st.info(ctx.t("not_in_release", tables="audit.rejected_*"))
        return
    parts = [
        f"select '{name.removeprefix('audit.rejected_')}' as entity, "
        f"trim(unnest(string_split(reject_reasons, ?))) as reason from {name} "
        "where reject_reasons is not null"
        for name in tables
    ]
    sql = (
        f"select entity, reason, count(*)::integer as rows from ({' union all '.join(parts)}) "
        "group by all order by rows desc, entity, reason"
    )
    frame = ctx.serving.df(sql, [REASON_SEPARATOR] * len(parts))
    if frame.empty:
        st.success(ctx.t("no_rejected"))
        return
    chart = charts.stacked(
        frame, "reason", "rows", "entity", titles=(ctx.t("reason"), ctx.t("rows"))
    )
    charts.show(chart, "rejected_reasons")
    ui.table(ctx, frame, "rejected_table")


def reconciliation(ctx: ui.Context) -> None:
    frame = ctx.serving.df(
        "select entity, raw_rows, accepted_rows, collapsed_rows, rejected_rows, "
        "rejected_share, max_rejected_share from audit.crm_row_reconciliation order by entity"
    )
    chart = charts.bars(
        frame,
        "entity",
        "rejected_share",
        titles=(ctx.t("entity"), ctx.t("rejected_share")),
        percent=True,
    )
    charts.show(chart, "reconciliation")
    ui.table(ctx, frame, "reconciliation_table")


def run_history(ctx: ui.Context) -> None:
    frame = ctx.serving.df(
        "select run_id, run_kind, outcome, started_at, ended_at, "
        "date_diff('millisecond', started_at, ended_at) / 1000.0 as seconds, "
        "cast(as_of_date as varchar) as as_of_date, failed_stage, failure_reason, release_id "
        "from ops.run_history order by started_at desc"
    )
    frame["started_at"] = pd.to_datetime(frame["started_at"])
    chart = charts.runs(frame, titles=(ctx.t("date"), "s", ctx.t("outcome")))
    charts.show(chart, "runs")
    ui.table(ctx, frame, "run_history_table")


def render(ctx: ui.Context) -> None:
    ui.page_header(ctx, "data_quality")
    quality = ("marts.fct_customer_file_quality_summary",)
    ui.section(ctx, "file_quality", quality, file_quality, filtered=False)
    ui.section(ctx, "rejected", (), rejected, filtered=False)
    recon = ("audit.crm_row_reconciliation",)
    ui.section(ctx, "reconciliation", recon, reconciliation, filtered=False)
    ui.section(ctx, "run_history", ("ops.run_history",), run_history, filtered=False)


render(ui.context())
