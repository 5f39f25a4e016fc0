"""`generate`: the plan, then every chunk through the writers, the anomalies in the last
one, and ``_anomalies.json`` beside the files."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

from crm_value.generate.anomalies import _inject_anomalies
from crm_value.generate.entities import _generate_chunk
from crm_value.generate.plan import _Counters, _make_plan, _Plan
from crm_value.generate.reference import CHUNK_CUSTOMERS, ENTITIES, REFERENCE_DATE
from crm_value.generate.writers import Overrides, _Sink


def generate(
    out_dir: str | os.PathLike[str],
    fmt: str = "csv",
    n_customers: int = 2000,
    n_orders: int = 30000,
    seed: int = 42,
    anomalies: bool = True,
    constant_amount: float | None = None,
) -> dict[str, Any]:
    """Generate the five entity files (and ``_anomalies.json``) into ``out_dir``.

    Args:
        out_dir: Output folder (created if missing). Files of the other format
            for the same entities are removed so readers see one source each.
        fmt: ``"csv"`` or ``"parquet"``.
        n_customers: Number of distinct clean customers.
        n_orders: Exact number of clean orders.
        seed: Random seed; identical arguments give byte-identical files.
        anomalies: Interleave the documented contract-breaking rows.
        constant_amount: Every order costs this, and a customer orders at most once a
            day, so every purchase day of every customer has the same value: the shape
            of identical spend for everyone (the CLV model's order-value limit). None
            (default): amounts drawn per customer and order.

    Returns:
        A summary with the row count of every file, the file paths and the
        anomaly report that is also written to ``_anomalies.json``.
    """
    _check_arguments(fmt, n_customers, n_orders, seed, constant_amount)
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    other = "parquet" if fmt == "csv" else "csv"
    for entity in ENTITIES:
        (out / f"{entity}.{other}").unlink(missing_ok=True)

    plan = _make_plan(n_customers, n_orders, seed, constant_amount)
    sinks, clean_rows, reports = _write_chunks(out, fmt, plan, seed, anomalies)
    entities_report = _entities_report(fmt, sinks, clean_rows, reports)
    report = {
        "generator": "crm_value.generate",
        "reference_date": REFERENCE_DATE.isoformat(),
        "seed": seed,
        "format": fmt,
        "customers": n_customers,
        "orders": n_orders,
        "anomalies_enabled": anomalies,
        **({} if constant_amount is None else {"constant_amount": constant_amount}),
        "entities": entities_report,
    }
    (out / "_anomalies.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return {
        "out_dir": str(out),
        "format": fmt,
        "seed": seed,
        "rows": {e: sinks[e].rows for e in ENTITIES},
        "files": {e: str(sinks[e].path) for e in ENTITIES},
        "anomalies": report,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _check_arguments(
    fmt: str, n_customers: int, n_orders: int, seed: int, constant_amount: float | None
) -> None:
    """Raise ValueError for arguments :func:`generate` cannot honour."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    if n_customers < 1 or n_orders < 0 or seed < 0:
        raise ValueError("need n_customers >= 1, n_orders >= 0 and seed >= 0")
    if constant_amount is not None and not 0.01 <= constant_amount <= 1e9:
        raise ValueError("constant_amount must be between 0.01 and 1e9")


def _write_chunks(
    out: Path, fmt: str, plan: _Plan, seed: int, anomalies: bool
) -> tuple[dict[str, _Sink], dict[str, int], dict[str, dict[str, Any]]]:
    """Generate and write every chunk (the anomalies into the last one); returns the
    closed sinks, the clean rows of every entity and the anomaly reports. On any failure
    the temporary files are deleted and no entity file is replaced."""
    counters = _Counters()
    sinks = {entity: _Sink(out, entity, fmt) for entity in ENTITIES}
    n_customers = plan.n_customers
    n_chunks = max(1, math.ceil(n_customers / CHUNK_CUSTOMERS))
    clean_rows = dict.fromkeys(ENTITIES, 0)
    reports: dict[str, dict[str, Any]] = {}
    try:
        for chunk in range(n_chunks):
            # Equal-sized chunks, so the last one (which hosts the anomalies) is big.
            lo = chunk * n_customers // n_chunks
            hi = (chunk + 1) * n_customers // n_chunks
            tables = _generate_chunk(plan, lo, hi, seed, chunk, counters)
            for entity, table in tables.items():
                clean_rows[entity] += table.num_rows
            overrides: dict[str, Overrides] = {}
            if anomalies and chunk == n_chunks - 1:
                tables, overrides, reports = _inject_anomalies(tables, plan, counters, seed, fmt)
            for entity, table in tables.items():
                sinks[entity].write(table, overrides.get(entity))
            del tables
    except BaseException:
        for sink in sinks.values():
            sink.abort()
        raise
    for sink in sinks.values():
        sink.close()
    return sinks, clean_rows, reports


def _entities_report(
    fmt: str,
    sinks: dict[str, _Sink],
    clean_rows: dict[str, int],
    reports: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """Every entity's file, row counts and anomalies, for ``_anomalies.json``."""
    entities_report: dict[str, Any] = {}
    for entity in ENTITIES:
        rep = reports.get(entity, {"extra_rows": 0, "anomalies": {}})
        entities_report[entity] = {
            "file": f"{entity}.{fmt}",
            "clean_rows": clean_rows[entity],
            "extra_rows": rep["extra_rows"],
            "total_rows": sinks[entity].rows,
            "anomalies": rep["anomalies"],
        }
    return entities_report
