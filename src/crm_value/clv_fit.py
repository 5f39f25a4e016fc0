"""The rows of `int_clv_models_fitted`: every CLV model fitted on both windows.

Each engine hands the same per-customer inputs to `fit_rows` and reads back the same
rows, so the fit is one piece of Python on every engine and every score stays SQL:
- DuckDB: the dbt-duckdb plugin (`crm_value.dbt_plugin`) registers
  ``crm_fit_clv_models(min_customers, model, scope, x[], t_x[], T[], m_x[], calibration[],
  cal_x[], cal_t_x[], cal_T[], cal_m_x[])``, called once over the aggregated columns; it
  answers `fit_json`.
- Spark: ``select transform(...) using 'python -m crm_value.clv_fit <min_customers> <model>
  <scope>'``
  streams the rows (tab-separated, one partition) through `main`, which prints one
  tab-separated row per fit, nulls as ``\\N``.

The fit does not depend on the order the rows arrive in (`crm_value.clv` collapses them
to sorted distinct rows and sums with `math.fsum`), and floats leave as their shortest
round-trip text, so both engines store the same parameters to the last bit.

Settings: ``min_customers`` (var clv_min_customers: fewer buyers in a window skip its
fits), ``model`` (var clv_model) and ``scope`` (var clv_fit_scope: 'scoring' fits only
``model`` and Gamma-Gamma on the full window, for a backfill date).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from crm_value.clv import Fit


class Settings(NamedTuple):
    min_customers: int
    model: str
    scope: str


PARAMETERS = (
    "r",
    "alpha",
    "a",
    "b",
    "s",
    "beta",
    "purchase_rate",
    "dropout_probability",
    "p",
    "q",
    "gamma",
    "spend_rate",
    "spend_scale",
    "constant_value",
)
# The input columns, in the order both engines pass them.
INPUTS = ("x", "t_x", "T", "m_x", "calibration", "cal_x", "cal_t_x", "cal_T", "cal_m_x")
# fit_window: (its x, t_x, T and m_x among INPUTS; who is in it)
WINDOWS = {
    "full": (("x", "t_x", "T", "m_x"), None),
    "calibration": (("cal_x", "cal_t_x", "cal_T", "cal_m_x"), "calibration"),
}
# Each output row's columns and their SQL types (the macro crm_fit_clv_models reads this
# order): the text columns, the flag, the parameters and the totals.
OUTPUTS = (
    ("fit_window", "text"),
    ("model", "text"),
    ("predicts", "text"),
    ("fit_status", "text"),
    ("is_usable", "boolean"),
    *((name, "double") for name in PARAMETERS),
    ("log_likelihood", "double"),
    ("customers", "bigint"),
    ("iterations", "bigint"),
)


def _window_fits(x, t_x, big_t, m_x, window: str, settings: Settings) -> dict[str, Fit]:
    """Every model's fit on one window's customers, in the order of `everything`."""
    # imported here: the dbt-duckdb plugin imports this module in every dbt process, and
    # scipy's optimiser takes most of a second to import
    from crm_value.clv import (
        ORDER_VALUE_MODEL,
        PURCHASE_MODELS,
        Fit,
        fit_order_value,
        fit_purchase_models,
    )

    min_customers, chosen, scope = settings
    everything = (*PURCHASE_MODELS, ORDER_VALUE_MODEL)
    if len(x) < min_customers:
        where = "with a valid order" if window == "full" else "in the calibration period"
        why = f"skipped: {len(x)} customers {where}, fewer than clv_min_customers ({min_customers})"
        return {m: Fit(m, why, n_customers=len(x)) for m in everything}
    if scope == "scoring" and chosen in PURCHASE_MODELS:
        why = "skipped: not fitted for a backfill date (clv_fit_scope scoring)"
        fits = {m: Fit(m, why, n_customers=len(x)) for m in everything}
        if window == "full":
            fits.update(fit_purchase_models(x, t_x, big_t, models=[chosen]))
            fits[ORDER_VALUE_MODEL] = fit_order_value(x, m_x)
        return fits
    fits = fit_purchase_models(x, t_x, big_t)
    fits[ORDER_VALUE_MODEL] = fit_order_value(x, m_x)
    return fits


def _number(value: float | int | None) -> float | None:
    """A finite float, or None: a parameter the model does not have, or (never seen) an
    infinite log-likelihood, which neither JSON nor the TSV could carry alike."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def fit_rows(columns: dict[str, np.ndarray], settings: Settings) -> list[dict]:
    """One row per model and fit window (8), as dicts keyed by OUTPUTS' names."""
    from crm_value.clv import ORDER_VALUE_MODEL  # see _window_fits

    rows = []
    for window, (names, who) in WINDOWS.items():
        keep = np.asarray(columns[who], dtype=bool) if who else slice(None)
        x, t_x, big_t, m_x = (np.asarray(columns[n], dtype=float)[keep] for n in names)
        for fit in _window_fits(x, t_x, big_t, m_x, window, settings).values():
            rows.append(
                {
                    "fit_window": window,
                    "model": fit.model,
                    "predicts": "order_value" if fit.model == ORDER_VALUE_MODEL else "purchases",
                    "fit_status": fit.status,
                    "is_usable": fit.usable,
                    **{name: _number(fit.params.get(name)) for name in PARAMETERS},
                    "log_likelihood": _number(fit.log_likelihood),
                    "customers": int(fit.n_customers),
                    "iterations": int(fit.iterations),
                }
            )
    return rows


def fit_json(min_customers: int, model: str, scope: str, *columns: np.ndarray) -> str:
    """`fit_rows` on the columns given in INPUTS' order, as a JSON array."""
    settings = Settings(int(min_customers), model, scope)
    return json.dumps(fit_rows(dict(zip(INPUTS, columns, strict=True)), settings))


def _text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _read_tsv(lines: Iterable[str]) -> dict[str, np.ndarray]:
    """Tab-separated INPUTS, one customer per line (booleans as true/false)."""
    values: list[list[str]] = [[] for _ in INPUTS]
    for line in lines:
        for column, cell in zip(values, line.rstrip("\n").split("\t"), strict=True):
            column.append(cell)
    columns = {}
    for name, cells in zip(INPUTS, values, strict=True):
        if name == "calibration":
            columns[name] = np.array([c == "true" for c in cells], dtype=bool)
        else:
            columns[name] = np.array(cells, dtype=float) if cells else np.zeros(0)
    return columns


def main(argv: list[str] | None = None) -> int:
    """Spark's TRANSFORM script: the inputs on stdin, one fitted row per line on stdout.
    The row whose x is -1 is the macro's marker (it makes the script run when there are no
    buyers), not a customer: it is dropped."""
    min_customers, model, scope = sys.argv[1:] if argv is None else argv
    columns = _read_tsv(sys.stdin)
    customers = columns["x"] >= 0
    columns = {name: values[customers] for name, values in columns.items()}
    rows = fit_rows(columns, Settings(int(min_customers), model, scope))
    for row in rows:
        sys.stdout.write("\t".join(_text(row[name]) for name, _ in OUTPUTS) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
