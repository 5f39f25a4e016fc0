"""Page `customer_lookup`: one customer, every label of dim_customers, the tier in every
scheme with its label, the strategy of the primary tier, the tier changes, and its value
over the snapshots of the tier history. Name and contacts only from the restricted file."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm_value.dashboard import charts, texts, ui
from crm_value.dashboard.data import CONTACT_TABLES


def pick(ctx: ui.Context) -> str | None:
    where, params = ctx.where()
    ids = ctx.serving.df(
        f"select customer_id from marts.dim_customers where {where} order by customer_id", params
    )["customer_id"].tolist()
    if not ids:
        st.info(ctx.t("no_customer"))
        return None
    return st.selectbox(ctx.t("pick_customer"), ids, key="lookup_customer")


def contact(ctx: ui.Context, customer: str) -> None:
    state = ctx.serving.restricted_state()
    found = None
    if state == "readable":
        found = ctx.serving.restricted_df(
            CONTACT_TABLES, "customer_name, email, phone", "where customer_id = ?", [customer]
        )
    if found is None or found.empty:
        st.caption(ctx.t(ui.CONTACTS_REASON.get(state, "contacts_absent")))
        return
    row = found.iloc[0]
    st.markdown(f"**{row['customer_name']}** · {row['email'] or '-'} · {row['phone'] or '-'}")
    st.caption(ctx.t("contacts_shown"))


def strategy(ctx: ui.Context, row: pd.Series) -> None:
    columns = st.columns(3)
    columns[0].metric(ctx.t("primary_tier"), str(row[f"primary_tier_label_{ctx.suffix}"]))
    columns[1].metric(ctx.t("service_level"), str(row["service_level"]))
    columns[2].metric(ctx.t("cadence"), str(row["contact_cadence_days"]))
    st.markdown(f"**{ctx.t('actions')}:** {row[ctx.action_column]}")


def tiers(ctx: ui.Context, row: pd.Series) -> None:
    rows = []
    for scheme, column in ui.SCHEME_COLUMNS.items():
        code = row.get(column)
        code = None if code is None or pd.isna(code) else code
        label = ui.label_map(ctx, scheme).get(code) if code else None
        rows.append({"scheme": texts.scheme(scheme, ctx.lang), "tier_code": code, "tier": label})
    ui.table(ctx, pd.DataFrame(rows), "lookup_tiers")


def changes(ctx: ui.Context, customer: str) -> None:
    frame = ctx.serving.df(
        "select scheme, current_tier, previous_tier, cast(changed_on as varchar) as changed_on, "
        "cast(tier_since as varchar) as tier_since, days_in_current_tier "
        "from marts.fct_customer_tier_changes where customer_id = ? order by scheme",
        [customer],
    )
    for column in ("current_tier", "previous_tier"):
        frame[column] = [
            ui.label_map(ctx, scheme).get(code, code) if isinstance(code, str) else code
            for scheme, code in zip(frame["scheme"], frame[column], strict=True)
        ]
    frame["scheme"] = frame["scheme"].map(lambda s: texts.scheme(s, ctx.lang))
    ui.table(ctx, frame, "lookup_changes")


def history(ctx: ui.Context, customer: str) -> None:
    frame = ctx.serving.df(
        "select cast(as_of_date as varchar) as as_of_date, "
        "value_window_revenue::double as revenue, clv::double as clv "
        "from marts.fct_customer_tier_history where customer_id = ? order by as_of_date",
        [customer],
    )
    long = frame.melt(id_vars=["as_of_date"], value_vars=["revenue", "clv"])
    chart = charts.lines(long, "as_of_date", "value", "variable", titles=(ctx.t("date"), "", ""))
    charts.show(chart, "lookup_history")


def lookup(ctx: ui.Context) -> None:
    customer = pick(ctx)
    if customer is None:
        return
    found = ctx.serving.df("select * from marts.dim_customers where customer_id = ?", [customer])
    if found.empty:
        st.warning(ctx.t("unknown_customer", id=customer))
        return
    row = found.iloc[0]
    contact(ctx, customer)
    strategy(ctx, row)
    st.markdown(f"#### {ctx.t('tiers')}")
    tiers(ctx, row)
    st.markdown(f"#### {ctx.t('labels')}")
    labels = pd.DataFrame({"field": list(row.index), "value": [str(v) for v in row.to_numpy()]})
    ui.table(ctx, labels, "lookup_labels")
    if not ctx.serving.missing("marts.fct_customer_tier_changes"):
        st.markdown(f"#### {ctx.t('tier_changes')}")
        changes(ctx, customer)
    if not ctx.serving.missing("marts.fct_customer_tier_history"):
        st.markdown(f"#### {ctx.t('customer_history')}")
        history(ctx, customer)


def render(ctx: ui.Context) -> None:
    ui.page_header(ctx, "customer_lookup")
    ui.section(ctx, "pick_customer", ("marts.dim_customers", "marts.dim_tier_strategy"), lookup)


render(ui.context())
