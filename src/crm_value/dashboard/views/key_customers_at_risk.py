"""Page `key_customers_at_risk`: the call list (fct_key_customers_at_risk in call order)
with each case's strategy in the chosen language; names and contacts only from the
release's restricted file, and only when this account can read it."""

from __future__ import annotations

import streamlit as st

from crm_value.dashboard import charts, ui
from crm_value.dashboard.data import CALL_LIST_TABLES, CONTACT_TABLES

CALL_LIST_SQL = """
select call_rank, customer_id, customer_type, region, city,
    {lang_key_tier} as key_tier, {lang_case} as win_back_case, win_back_case as case_code,
    revenue_then::double as revenue_then, revenue_now::double as revenue_now,
    clv_now::double as clv_now, p_alive, recency_days,
    cast(last_order_date as varchar) as last_order_date, slipped_reasons,
    service_level, contact_cadence_days, {lang_actions} as recommended_actions
from marts.fct_key_customers_at_risk
where {where}
order by call_rank
"""


def contacts(ctx: ui.Context, ids: list[str]):
    """customer_id, customer_name, email, phone of `ids` from the restricted file (the call
    list's own copy first), or None with the reason said in one line."""
    state = ctx.serving.restricted_state()
    if state != "readable":
        st.caption(ctx.t(ui.CONTACTS_REASON.get(state, "contacts_absent")))
        return None
    columns = "customer_id, customer_name, email, phone"
    where = "where customer_id in (select unnest(?::varchar[]))"
    for candidates in (CALL_LIST_TABLES, CONTACT_TABLES):
        frame = ctx.serving.restricted_df(candidates, columns, where, [ids])
        if frame is not None:
            st.caption(ctx.t("contacts_shown"))
            return frame
    st.caption(ctx.t("contacts_absent"))
    return None


def call_list(ctx: ui.Context) -> None:
    where, params = ctx.customer_filter()
    sql = CALL_LIST_SQL.format(
        lang_key_tier=f"key_tier_label_{ctx.suffix}",
        lang_case=f"win_back_case_label_{ctx.suffix}",
        lang_actions=ctx.action_column,
        where=where,
    )
    frame = ctx.serving.df(sql, params)
    columns = st.columns(3)
    columns[0].metric(ctx.t("customers"), f"{len(frame):,}")
    columns[1].metric(ctx.t("revenue") + " ←", f"{frame['revenue_then'].sum():,.0f}")
    columns[2].metric(ctx.t("revenue") + " →", f"{frame['revenue_now'].sum():,.0f}")
    cases = frame.groupby("win_back_case", sort=False, as_index=False)["customer_id"].count()
    cases = cases.rename(columns={"customer_id": "customers"})
    chart = charts.bars(
        cases,
        "win_back_case",
        "customers",
        titles=(None, ctx.t("customers")),
        color="win_back_case",
    )
    st.markdown(f"**{ctx.t('by_case')}**")
    charts.show(chart, "win_back_cases")
    found = contacts(ctx, frame["customer_id"].tolist())
    if found is not None:
        frame = frame.merge(found.drop_duplicates("customer_id"), on="customer_id", how="left")
        front = ["call_rank", "customer_id", "customer_name", "phone", "email"]
        frame = frame[front + [c for c in frame.columns if c not in front]]
    ui.table(ctx, frame.drop(columns=["case_code"]), "call_list")


def render(ctx: ui.Context) -> None:
    ui.page_header(ctx, "key_customers_at_risk")
    needs = ("marts.fct_key_customers_at_risk",) + (
        ("marts.dim_customers",) if ctx.filtered else ()
    )
    ui.section(ctx, "call_list", needs, call_list)


render(ui.context())
