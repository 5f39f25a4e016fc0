"""Page `cohort_retention`: the share of each monthly acquisition cohort active in each
month since (fct_cohort_retention, a published summary: the filters do not apply)."""

from __future__ import annotations

from crm_value.dashboard import charts, ui


def cohorts(ctx: ui.Context) -> None:
    frame = ctx.serving.df(
        "select strftime(cohort_month, '%Y-%m') as cohort, months_since, active_share, "
        "cohort_customers, active_customers "
        "from marts.fct_cohort_retention order by cohort_month, months_since"
    )
    rows = list(dict.fromkeys(frame["cohort"]))
    chart = charts.heatmap(
        frame,
        "months_since",
        "cohort",
        "active_share",
        titles=("months since", "cohort", ctx.t("share")),
        orders=(None, rows),
        percent=True,
        text=False,
    ).properties(height=charts.AXES + 18 * len(rows))
    charts.show(chart, "cohorts")
    wide = frame.pivot_table(
        index="cohort", columns="months_since", values="active_share", aggfunc="sum", sort=True
    )
    wide.columns = [str(c) for c in wide.columns]
    sizes = frame.drop_duplicates("cohort").set_index("cohort")["cohort_customers"]
    wide.insert(0, "cohort_customers", sizes)
    ui.table(ctx, wide.reset_index(), "cohort_table")


def render(ctx: ui.Context) -> None:
    ui.page_header(ctx, "cohort_retention")
    ui.section(ctx, "cohorts", ("marts.fct_cohort_retention",), cohorts, filtered=False)


render(ui.context())
