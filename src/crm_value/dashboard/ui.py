"""What every page shares: the context of a rerun (release, language, filters), tier labels,
sections that say when their tables are not in the release, and tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from crm_value import contract
from crm_value.dashboard import texts
from crm_value.dashboard.data import Serving

CONTEXT_KEY = "_crm_dashboard_context"
# The global filters: dim_customers columns (fixed names, never user input).
FILTER_COLUMNS = ("region", "customer_type", "acquisition_channel")
BLANK = "\u2205"  # a filter option standing for "no value" (null)
LABEL_COLUMNS = {"en": "tier_label_en", "zh": "tier_label_zh"}
ACTION_COLUMNS = {"en": "recommended_actions_en", "zh": "recommended_actions_zh"}
# Every tier scheme and the dim_customers (and tier history) column holding its tier, and
# the six value dimensions: the dbt macros crm_tier_scheme_columns and
# crm_value_dimensions themselves, rendered (crm_value.contract).
SCHEME_COLUMNS: dict[str, str] = contract.tier_scheme_columns()
VALUE_DIMENSIONS: tuple[str, ...] = contract.value_dimensions()
NOT_IN_SCOPE = "not_in_scope"

# Why no contacts are shown (Serving.restricted_state): the text key.
CONTACTS_REASON = {"unreadable": "contacts_hidden", "off": "contacts_off"}


@dataclass(frozen=True)
class Context:
    """One rerun: the release read, the language and the chosen filter values."""

    serving: Serving
    lang: str
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def t(self, key: str, **values: object) -> str:
        return texts.text(key, self.lang, **values)

    @property
    def filtered(self) -> bool:
        return any(values for _, values in self.filters)

    def where(self, alias: str = "") -> tuple[str, list]:
        """A SQL condition on dim_customers' filter columns (as `alias`.column), and its
        parameters: the chosen values are parameters, never SQL text."""
        parts, params = [], []
        for column, chosen in self.filters:
            if column not in FILTER_COLUMNS or not chosen:
                continue
            name = f"{alias}.{column}" if alias else column
            parts.append(f"({name} in (select unnest(?::varchar[])) or (? and {name} is null))")
            params += [[v for v in chosen if v != BLANK], BLANK in chosen]
        return (" and ".join(parts) or "true"), params

    def customer_ids(self) -> tuple[str, list]:
        """A subquery of the customer ids the filters keep, and its parameters."""
        where, params = self.where()
        return f"(select customer_id from marts.dim_customers where {where})", params

    def customer_filter(self, column: str = "customer_id") -> tuple[str, list]:
        """A condition keeping the rows of the filtered customers ("true" without
        filters, so rows of customers no longer in dim_customers stay too)."""
        if not self.filtered:
            return "true", []
        ids, params = self.customer_ids()
        return f"{column} in {ids}", params

    @property
    def suffix(self) -> str:
        """The language's column suffix ('en' or 'zh'): from a fixed set, safe in SQL."""
        return {"en": "en", "zh": "zh"}[self.lang]

    @property
    def label_column(self) -> str:
        return LABEL_COLUMNS[self.lang]

    @property
    def action_column(self) -> str:
        return ACTION_COLUMNS[self.lang]


def context() -> Context:
    """This rerun's context, set by app.py before the page runs."""
    return st.session_state[CONTEXT_KEY]


def page_header(ctx: Context, slug: str) -> None:
    st.title(texts.title(slug, ctx.lang))
    st.markdown(texts.explain(slug, ctx.lang))
    if ctx.filtered:
        chosen = "; ".join(
            f"{ctx.t(column)}: {', '.join(ctx.t('blank') if v == BLANK else v for v in values)}"
            for column, values in ctx.filters
            if values
        )
        st.caption(f"{ctx.t('filters_active')}: {chosen}")


def section(
    ctx: Context,
    heading: str,
    tables: tuple[str, ...],
    draw: Callable[[Context], None],
    *,
    filtered: bool = True,
) -> None:
    """A sub-header, then `draw(ctx)`, or a note when the release lacks any of `tables`,
    in a container keyed `section_<heading>` (the tests and the browser find it so).
    `filtered=False`: a published summary, which the filters do not narrow (said)."""
    with st.container(key=f"section_{heading}"):
        st.subheader(ctx.t(heading))
        missing = ctx.serving.missing(*tables)
        if missing:
            st.info(ctx.t("not_in_release", tables=", ".join(missing)))
            return
        if not filtered:
            st.caption(ctx.t("filters_ignored"))
        draw(ctx)


def table(ctx: Context, frame: pd.DataFrame, key: str, **options) -> None:
    """A data table; headers in Chinese when the language is."""
    formats = {
        column: st.column_config.NumberColumn(
            format="percent" if "share" in column or column == "p_alive" else "localized"
        )
        for column in frame.columns
        if pd.api.types.is_float_dtype(frame[column])
    }
    if ctx.lang == "zh":
        formats = {texts.COLUMNS_ZH.get(c, c): f for c, f in formats.items()}
        frame = frame.rename(columns=texts.COLUMNS_ZH)
    st.dataframe(frame, key=key, hide_index=True, column_config=formats, **options)


def tier_labels(ctx: Context, scheme: str) -> pd.DataFrame:
    """tier_code, label (in the chosen language) and priority_rank of `scheme`, from
    marts.dim_tier_strategy; empty when the release lacks it."""
    if ctx.serving.missing("marts.dim_tier_strategy"):
        return pd.DataFrame({"tier_code": [], "label": [], "priority_rank": []})
    return ctx.serving.df(
        f"select tier_code, {ctx.label_column} as label, priority_rank "
        "from marts.dim_tier_strategy where scheme = ? order by priority_rank",
        [scheme],
    )


def with_labels(ctx: Context, frame: pd.DataFrame, scheme: str, code: str = "tier_code"):
    """`frame` with a `tier` column (the label of its `code` column in `scheme`; the code
    where no label exists), sorted by the scheme's priority rank."""
    labels = tier_labels(ctx, scheme).rename(columns={"tier_code": code})
    out = frame.merge(labels, on=code, how="left")
    out["tier"] = [
        label if isinstance(label, str) else _code_label(ctx, value)
        for label, value in zip(out["label"], out[code], strict=True)
    ]
    out = out.sort_values("priority_rank", na_position="last", kind="stable")
    return out.drop(columns=["label"])


def _code_label(ctx: Context, code: object) -> str:
    if code is None or pd.isna(code):
        return ctx.t("not_classified")
    return ctx.t("not_in_scope") if code == NOT_IN_SCOPE else str(code)


def label_map(ctx: Context, scheme: str) -> dict[str, str]:
    """tier_code -> label in `scheme` (the chosen language)."""
    labels = tier_labels(ctx, scheme)
    return dict(zip(labels["tier_code"], labels["label"], strict=True))


def tier_counts(ctx: Context, scheme: str) -> pd.DataFrame:
    """Customers and value-window revenue per tier of `scheme` among the filtered
    customers of dim_customers, with shares of the classified ones and labels."""
    column = SCHEME_COLUMNS[scheme]
    where, params = ctx.where()
    frame = ctx.serving.df(
        f"select {column} as tier_code, count(*)::integer as customers, "
        "coalesce(sum(value_window_revenue), 0)::double as revenue "
        f"from marts.dim_customers where {where} group by 1",
        params,
    )
    classified = frame[frame["tier_code"].notna()].copy()
    for measure in ("customers", "revenue"):
        total = classified[measure].sum()
        classified[f"share_of_{measure}"] = classified[measure] / total if total else 0.0
    return with_labels(ctx, classified, scheme)


def unclassified(ctx: Context, scheme: str) -> int:
    """How many filtered customers have no tier in `scheme`."""
    where, params = ctx.where()
    column = SCHEME_COLUMNS[scheme]
    return int(
        ctx.serving.value(
            f"select count(*) from marts.dim_customers where {column} is null and {where}",
            params,
        )
    )
