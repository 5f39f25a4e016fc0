"""The Altair charts of the dashboard. The data arrives aggregated (a few hundred rows at
most): the SQL counts, the chart draws."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

# Streamlit fits a chart into its height (autosize "fit"): the height holds the axes, their
# titles and the legend too, so a chart of n rows asks for AXES + n * row height.
AXES = 90


def show(chart: alt.Chart, key: str) -> None:
    st.altair_chart(chart, key=key)


def _fmt(percent: bool) -> str:
    return ".1%" if percent else ",.0f"


def bars(
    frame: pd.DataFrame,
    category: str,
    value: str,
    *,
    titles: tuple[str, str],
    order: list | None = None,
    percent: bool = False,
    color: str | None = None,
) -> alt.Chart:
    """Horizontal bars of `value` per `category` (in `order`), labelled with the value."""
    y = alt.Y(f"{category}:N", sort=order or "-x", title=titles[0], axis=alt.Axis(labelLimit=240))
    x = alt.X(f"{value}:Q", title=titles[1], axis=alt.Axis(format=_fmt(percent)))
    base = alt.Chart(frame).encode(y=y, x=x, tooltip=list(frame.columns))
    marks = base.mark_bar(color="#3b6ea8") if color is None else base.mark_bar()
    if color is not None:
        marks = marks.encode(color=alt.Color(f"{color}:N", legend=None))
    text = base.mark_text(align="left", dx=3).encode(
        text=alt.Text(f"{value}:Q", format=_fmt(percent))
    )
    return (marks + text).properties(height=AXES + 30 * len(frame))


def heatmap(
    frame: pd.DataFrame,
    x: str,
    y: str,
    value: str,
    *,
    titles: tuple[str, str, str],
    orders: tuple[list | None, list | None] = (None, None),
    percent: bool = False,
    text: bool = True,
) -> alt.Chart:
    """Cells of `value` at (`x`, `y`), coloured, with the value written in when `text`."""
    base = alt.Chart(frame).encode(
        x=alt.X(
            f"{x}:O",
            sort=orders[0],
            title=titles[0],
            axis=alt.Axis(labelAngle=0, labelLimit=140, labelOverlap=True),
        ),
        y=alt.Y(f"{y}:O", sort=orders[1], title=titles[1]),
    )
    rects = base.mark_rect().encode(
        color=alt.Color(f"{value}:Q", title=titles[2], scale=alt.Scale(scheme="blues")),
        tooltip=list(frame.columns),
    )
    if not text:
        return rects
    labels = base.mark_text(fontSize=11).encode(
        text=alt.Text(f"{value}:Q", format=_fmt(percent)),
        color=alt.condition(
            alt.datum[value] > frame[value].max() / 2, alt.value("white"), alt.value("black")
        ),
    )
    return rects + labels


def pareto(frame: pd.DataFrame, titles: tuple[str, str]) -> alt.Chart:
    """The cumulative share of revenue against the cumulative share of customers, with
    the 80/20 reference lines and the diagonal of an even spread."""
    axis, unit = alt.Axis(format=".0%"), alt.Scale(domain=[0, 1])
    curve = (
        alt.Chart(frame)
        .mark_line(point=False, strokeWidth=3)
        .encode(
            x=alt.X("customer_share:Q", title=titles[0], axis=axis, scale=unit),
            y=alt.Y("revenue_share:Q", title=titles[1], axis=axis, scale=unit),
            tooltip=[
                alt.Tooltip("customer_share:Q", format=".1%"),
                alt.Tooltip("revenue_share:Q", format=".1%"),
            ],
        )
    )
    even = pd.DataFrame({"customer_share": [0.0, 1.0], "revenue_share": [0.0, 1.0]})
    diagonal = (
        alt.Chart(even)
        .mark_line(strokeDash=[4, 4], color="gray")
        .encode(x="customer_share:Q", y="revenue_share:Q")
    )
    rules = pd.DataFrame({"x": [0.2], "y": [0.8]})
    vertical = alt.Chart(rules).mark_rule(color="#c0392b", strokeDash=[2, 2]).encode(x="x:Q")
    horizontal = alt.Chart(rules).mark_rule(color="#c0392b", strokeDash=[2, 2]).encode(y="y:Q")
    return (curve + diagonal + vertical + horizontal).properties(height=380)


def lines(
    frame: pd.DataFrame,
    x: str,
    y: str,
    color: str,
    *,
    titles: tuple[str, str, str],
    order: list | None = None,
    x_type: str = "T",
    percent: bool = False,
) -> alt.Chart:
    """One line of `y` over `x` per `color` (in `order`)."""
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:{x_type}", title=titles[0]),
            y=alt.Y(f"{y}:Q", title=titles[1], axis=alt.Axis(format=_fmt(percent))),
            color=alt.Color(f"{color}:N", title=titles[2], sort=order),
            tooltip=list(frame.columns),
        )
        .properties(height=340)
    )


def histogram_frame(values: pd.Series, bins: int = 30) -> pd.DataFrame:
    """Counts of `values` (nulls left out) in `bins` equal-width bins."""
    data = values.dropna().astype(float).to_numpy()
    if data.size == 0:
        return pd.DataFrame({"bin_start": [], "bin_end": [], "customers": []})
    counts, edges = np.histogram(data, bins=bins)
    return pd.DataFrame({"bin_start": edges[:-1], "bin_end": edges[1:], "customers": counts})


def histogram(frame: pd.DataFrame, titles: tuple[str, str], percent: bool = False) -> alt.Chart:
    """Bars of a histogram_frame."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "bin_start:Q", bin="binned", title=titles[0], axis=alt.Axis(format=_fmt(percent))
            ),
            x2="bin_end:Q",
            y=alt.Y("customers:Q", title=titles[1]),
            tooltip=list(frame.columns),
        )
        .properties(height=280)
    )


def share_bars(
    frame: pd.DataFrame, category: str, measures: dict[str, str], *, title: str
) -> alt.Chart:
    """Side-by-side shares per `category` (in the frame's order): `measures` maps each
    share column to its legend label (e.g. share of customers, share of revenue)."""
    long = frame.melt(id_vars=[category], value_vars=list(measures), var_name="m", value_name="v")
    long["measure"] = long["m"].map(measures)
    order = list(dict.fromkeys(frame[category]))
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort=order, title=title),
            x=alt.X("v:Q", title=None, axis=alt.Axis(format=".0%")),
            yOffset=alt.YOffset("measure:N", sort=list(measures.values())),
            color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[category, "measure", alt.Tooltip("v:Q", format=".1%")],
        )
        .properties(height=AXES + 44 * len(order))
    )


def grouped(frame: pd.DataFrame, category: str, value: str, group: str, order: list) -> alt.Chart:
    """Vertical bars of `value` per `category` (in `order`), side by side per `group`."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{category}:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset(f"{group}:N"),
            y=alt.Y(f"{value}:Q", title=None),
            color=alt.Color(f"{group}:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=list(frame.columns),
        )
        .properties(height=300)
    )


def stacked(
    frame: pd.DataFrame,
    category: str,
    value: str,
    stack: str,
    *,
    titles: tuple[str, str],
    percent: bool = False,
) -> alt.Chart:
    """Horizontal bars of `value` per `category`, stacked by `stack`."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort="-x", title=titles[0]),
            x=alt.X(f"sum({value}):Q", title=titles[1], axis=alt.Axis(format=_fmt(percent))),
            color=alt.Color(f"{stack}:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=list(frame.columns),
        )
        .properties(height=AXES + 30 * frame[category].nunique())
    )


def runs(frame: pd.DataFrame, titles: tuple[str, str, str]) -> alt.Chart:
    """One bar per refresh run: its duration at its start time, coloured by outcome."""
    return (
        alt.Chart(frame)
        .mark_circle(size=120)
        .encode(
            x=alt.X("started_at:T", title=titles[0]),
            y=alt.Y("seconds:Q", title=titles[1]),
            color=alt.Color("outcome:N", title=titles[2]),
            shape=alt.Shape("run_kind:N", title=None),
            tooltip=["run_id", "run_kind", "outcome", "started_at", "seconds", "failed_stage"],
        )
        .properties(height=260)
    )
