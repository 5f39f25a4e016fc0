"""Benchmark: `dbt build` of the project against a hand-written DuckDB script of the same rules.

The bar: a full build with all its tests should cost no more than three times a hand-written
DuckDB script of the same rules on the same files, in time and in peak memory. This script
measures both on one generated Parquet data set and prints the two figures and their ratios:

    python benchmarks/bench_value_model.py --customers 1000000 --orders 10000000 [--refresh]

With `--refresh` it also measures the whole `crm-value refresh` (the expectations at the
door, the same dbt build, the publish) on the same files, and prints its stages. With
`--backfill N` it measures `crm-value backfill --last N --every month --no-publish` (the
door once, then N past month-ends of the tier history, each dim_customers and all it needs
with their tests) into a fresh serving folder, against the one full `dbt build`.

1. The data: `crm_value.generate.generate(dir, "parquet", customers, orders, seed, True)` into
   a cache folder per size and seed (`--cache-dir`), reused when its `_anomalies.json` says it
   holds that size, seed and format. Generation runs in a child process, so this process stays
   small (see the fallback below) and it is not part of any figure.
2. The hand-written script, `benchmarks/handwritten_value_model.sql`: a Python child opens a
   fresh DuckDB file (threads = 2, preserve_insertion_order = false, TimeZone = UTC, as the
   dbt profile sets them), substitutes `{raw_dir}` and executes the script, then runs
   `benchmarks/handwritten_clv.py` on the script's `clv_inputs`: it fits every CLV model on
   the full and the calibration period (the same fitting code), scores every customer and
   backtests every purchase model with numpy and scipy's hyp2f1, as one would by hand; then
   `benchmarks/handwritten_value_picture.sql`.
3. `dbt build` (every seed, model and test) with the dbt next to `sys.executable`, reading
   the same folder through CRM_RAW_DIR into another fresh DuckDB file. Its artifacts and logs
   go to the cache folder, so a run does not touch the project's own `target/`.

With `--spark` it also measures `dbt build --target spark` (every seed, model and test, on
pyspark in the dbt process, `local[*]`) on the same files into a fresh Spark warehouse,
next to DuckDB's build, and cross-checks Spark's tables against the hand-written script as
DuckDB's are. Spark's peak memory is the largest sum of the resident sets of the dbt
process and its descendants (the JVM is one), sampled every 0.2 s from /proc: the JVM is
not a child that dbt waits for, so `ru_maxrss` would miss it.

Then both warehouses are opened read-only and compared: rows of RFM / ABC / pyramid on each
side, and the customers whose rfm_cell, rfm8 / named segment, abc_class or pyramid_tier
differ (a full join on customer_id, so a customer present on one side only counts as a
difference). Non-zero differences mean the script does not apply the same rules. The exit
code is non-zero when either measured command fails; a difference is reported, not fatal.

How peak memory is measured. Each measured command is its own child process, started under
GNU `/usr/bin/time -f %M`, which reaps it with wait4() and reports that one process's
`ru_maxrss` (KiB): its peak resident set, including any child it waited for. Two simpler
methods give wrong figures. `getrusage(RUSAGE_CHILDREN)` is a maximum over every child
reaped so far, not a sum, so deltas cannot separate two commands. And wait4() called here
is wrong as soon as this process has been large: Linux carries the parent's RSS high-water
mark into a (v)forked child when it execs, so every child would report at least this
process's own peak. `/usr/bin/time` is a tiny process, so its child starts clean. Without
`/usr/bin/time`, the fallback is wait4() from here, which is sound only because this process
stays small (no data generation, no DuckDB until the measurements are done). Wall time is
measured here around each child. Figures are noisy on a shared machine: run it twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm_value.dbt_env import PROJECT_DIR, dbt_env

BENCHMARKS = Path(__file__).resolve().parent
SCRIPT = BENCHMARKS / "handwritten_value_model.sql"
PICTURE_SCRIPT = BENCHMARKS / "handwritten_value_picture.sql"
CLV_SCRIPT = BENCHMARKS / "handwritten_clv.py"
DAILY_SCRIPT = BENCHMARKS / "bench_daily.py"
GNU_TIME = Path("/usr/bin/time")
BAR = 3.0

_GENERATE_CHILD = """
import sys
from crm_value.generate import generate
out, customers, orders, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
generate(out, "parquet", customers, orders, seed, True)
"""

_HANDWRITTEN_CHILD = """
import runpy
import sys
import duckdb
script, raw_dir, database, picture, clv = sys.argv[1:6]
with open(script, encoding="utf-8") as handle:
    sql = handle.read().replace("{raw_dir}", raw_dir.replace("'", "''"))
con = duckdb.connect(database, config={"threads": 2, "preserve_insertion_order": False})
con.execute("SET TimeZone = 'UTC'")
con.execute(sql)
# The CLV models and their backtest on the script's clv_inputs (numpy and scipy).
runpy.run_path(clv)["run"](con)
# The value picture, which needs P(alive) and CLV.
with open(picture, encoding="utf-8") as handle:
    con.execute(handle.read())
con.close()
"""

# (label, hand-written table, dbt relation, compared columns)
_MARTS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("rfm", "rfm", "marts.fct_customer_rfm", ("rfm_cell", "rfm8_segment", "rfm_segment")),
    ("abc", "abc", "marts.fct_customer_abc", ("abc_class",)),
    ("pyramid", "pyramid", "marts.fct_customer_pyramid", ("pyramid_tier",)),
    (
        "value dimensions",
        "value_dimensions",
        "marts.fct_customer_value_dimensions",
        (
            "purchasing_power",
            "purchase_frequency",
            "purchase_potential",
            "satisfaction",
            "loyalty",
            "churn_risk",
            "complaints",
            "nps_class",
        ),
    ),
    ("lifecycle", "lifecycle", "marts.fct_customer_lifecycle", ("lifecycle_stage", "loyalty_type")),
    ("quality", "quality", "marts.fct_customer_quality", ("is_quality_customer", "quality_tier")),
)
_STAGING: tuple[tuple[str, str, str], ...] = (
    ("accepted customers", "customers", "staging.stg_crm__customers"),
    ("accepted orders", "orders", "staging.stg_crm__orders"),
)


@dataclass(frozen=True)
class Measurement:
    """What one measured command cost."""

    label: str
    wall_s: float
    peak_rss_mib: float
    exit_code: int
    log: Path


def _run_measured(label: str, cmd: list[str], env: dict[str, str], log: Path) -> Measurement:
    """Run `cmd` as one child process; return its wall time and its own peak RSS.

    Output goes to `log`. Peak RSS comes from `/usr/bin/time -f %M` when it exists, else from
    os.wait4() on the child (see the module docstring for why not RUSAGE_CHILDREN).
    """
    with tempfile.NamedTemporaryFile(prefix="bench_rss_", delete=False) as tmp:
        rss_file = Path(tmp.name)
    use_time = GNU_TIME.is_file() and os.access(GNU_TIME, os.X_OK)
    full_cmd = [str(GNU_TIME), "-f", "%M", "-o", str(rss_file), *cmd] if use_time else cmd
    try:
        with log.open("wb") as out:
            start = time.perf_counter()
            proc = subprocess.Popen(
                full_cmd, cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
            )
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        peak_kib = float(usage.ru_maxrss)
        if use_time:
            lines = rss_file.read_text().split()
            peak_kib = float(lines[-1]) if lines and lines[-1].isdigit() else float("nan")
    finally:
        rss_file.unlink(missing_ok=True)
    return Measurement(label, wall, peak_kib / 1024, code, log)


def _ensure_data(data_dir: Path, customers: int, orders: int, seed: int) -> None:
    """Generate the Parquet files into `data_dir` unless its `_anomalies.json` matches."""
    manifest = data_dir / "_anomalies.json"
    wanted = {
        "customers": customers,
        "orders": orders,
        "seed": seed,
        "format": "parquet",
        "anomalies_enabled": True,
    }
    have = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else {}
    if {key: have.get(key) for key in wanted} == wanted:
        print(f"reusing {customers:,} customers / {orders:,} orders in {data_dir}")
        return
    start = time.perf_counter()
    cmd = [sys.executable, "-c", _GENERATE_CHILD, str(data_dir)]
    subprocess.run([*cmd, str(customers), str(orders), str(seed)], cwd=PROJECT_DIR, check=True)
    print(
        f"generated {customers:,} customers / {orders:,} orders "
        f"in {time.perf_counter() - start:.1f}s -> {data_dir}"
    )


def _fresh(database: Path) -> Path:
    """Remove a DuckDB file and its WAL so the next writer starts from nothing."""
    for suffix in ("", ".wal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    return database


def _measure_refresh(cache: Path, data_dir: Path) -> Measurement:
    """Time `crm-value refresh` on the same files into a fresh serving folder (freshness
    skipped: generated data has a fixed date)."""
    serve = cache / "serving"
    shutil.rmtree(serve, ignore_errors=True)
    work = _fresh(cache / "refresh_work.duckdb")
    crm_value = str(Path(sys.executable).with_name("crm-value"))
    cmd = [crm_value, "refresh", "--raw-dir", str(data_dir), "--format", "parquet"]
    cmd += ["--serve-dir", str(serve), "--warehouse", str(work), "--skip-freshness"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    return _run_measured(
        "crm-value refresh (door, build, publish)", cmd, env, cache / "refresh.log"
    )


def _measure_backfill(cache: Path, data_dir: Path, months: int) -> Measurement:
    """Time `crm-value backfill --last <months> --every month --no-publish` on the same
    files into a fresh serving folder and work database."""
    serve = cache / "backfill_serving"
    shutil.rmtree(serve, ignore_errors=True)
    work = _fresh(cache / "backfill_work.duckdb")
    crm_value = str(Path(sys.executable).with_name("crm-value"))
    cmd = [crm_value, "backfill", "--last", str(months), "--every", "month", "--no-publish"]
    cmd += ["--raw-dir", str(data_dir), "--format", "parquet"]
    cmd += ["--serve-dir", str(serve), "--warehouse", str(work)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    label = f"crm-value backfill, {months} monthly dates (door once, then each date)"
    return _run_measured(label, cmd, env, cache / "backfill.log")


def _refresh_into(cache: Path, raw_dir: Path, name: str, label: str, fresh: bool) -> Measurement:
    """Time `crm-value refresh` of the files in `raw_dir` into the serving folder
    `<cache>/<name>_serving` and the work database `<cache>/<name>_work.duckdb` (both
    emptied first when `fresh`)."""
    serve = cache / f"{name}_serving"
    work = cache / f"{name}_work.duckdb"
    if fresh:
        shutil.rmtree(serve, ignore_errors=True)
        _fresh(work)
    crm_value = str(Path(sys.executable).with_name("crm-value"))
    cmd = [crm_value, "refresh", "--raw-dir", str(raw_dir), "--format", "parquet"]
    cmd += ["--serve-dir", str(serve), "--warehouse", str(work), "--skip-freshness"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    safe = label.split()[0].replace("/", "_")
    return _run_measured(label, cmd, env, cache / f"{name}_{safe}.log")


def _measure_daily(cache: Path, data_dir: Path, days: int) -> list[tuple[str, ...]]:
    """The daily mode: the generated files laid out as folders of increments, a full
    refresh, `days` daily deliveries each followed by a refresh, then a full refresh of the
    same files from nothing, and the two served marts compared row for row."""
    import pyarrow.parquet as pq  # after the first measurement; the child's peak is its own

    daily = cache / "daily_raw"
    child = [sys.executable, str(DAILY_SCRIPT)]
    subprocess.run([*child, "layout", str(data_dir), str(daily)], check=True, cwd=PROJECT_DIR)
    runs = [_refresh_into(cache, daily, "daily", "full refresh (first run)", fresh=True)]
    if runs[0].exit_code != 0:
        return _daily_rows(cache, runs, None)
    history = cache / "daily_serving" / "run_history.parquet"
    as_of = pq.read_table(history).to_pylist()[-1]["as_of_date"]
    for number in range(1, days + 1):
        day = (as_of + dt.timedelta(days=number - 1)).isoformat()
        subprocess.run(
            [*child, "increment", str(daily), str(number), day], check=True, cwd=PROJECT_DIR
        )
        runs.append(_refresh_into(cache, daily, "daily", f"daily refresh {number} ({day})", False))
        if runs[-1].exit_code != 0:
            return _daily_rows(cache, runs, None)
    runs.append(_refresh_into(cache, daily, "full", "full refresh of the same files", True))
    compared = None
    if runs[-1].exit_code == 0:
        compare = [*child, "compare"]
        compare += [
            str(cache / name / "current" / "crm_value.duckdb")
            for name in ("daily_serving", "full_serving")
        ]
        proc = subprocess.run(compare, capture_output=True, text=True, cwd=PROJECT_DIR)
        compared = proc
    return _daily_rows(cache, runs, compared)


def _daily_rows(cache: Path, runs: list[Measurement], compared) -> list[tuple[str, ...]]:
    import pyarrow.parquet as pq

    stages: list[dict] = []
    for name in ("daily_serving", "full_serving"):
        path = cache / name / "run_history.parquet"
        if path.is_file():
            stages += pq.read_table(path).to_pylist()
    passed = [row for row in stages if row.get("outcome") == "passed"]
    full = runs[0].wall_s
    rows = []
    for index, run in enumerate(runs):
        found = passed[index] if index < len(passed) else {}
        rows.append(
            (
                run.label,
                f"{run.wall_s:.1f}",
                f"{run.peak_rss_mib:,.0f}",
                f"{run.wall_s / full:.2f}",
                *(
                    f"{found.get(f'{s}_seconds') or 0:.1f}"
                    for s in ("expectations", "build", "publish")
                ),
                str(run.exit_code),
            )
        )
    for run in runs:
        if run.exit_code != 0:
            rows.append((f"{run.label}: FAILED", "", "", "", "", "", "", str(run.exit_code)))
            tail = run.log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
            print(f"\n{run.label} failed (exit {run.exit_code}); last lines of {run.log}:")
            print("\n".join(tail))
    if compared is not None:
        print("\nserved marts after the increments against the full refresh of the same files:")
        print(compared.stdout.strip())
        verdict = "identical" if compared.returncode == 0 else "DIFFERENT"
        rows.append(("marts: increments vs full refresh", verdict, "", "", "", "", "", ""))
    return rows


def _backfill_dates(log: Path) -> list[tuple[str, str]]:
    """The seconds of each stored date, from the backfill's output."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    found = [line.split()[1:3] for line in lines if line.startswith("CRM-BACKFILL-STORED ")]
    return [(day, f"{float(seconds):.1f}") for day, seconds in found]


def _refresh_stages(serve: Path) -> list[tuple[str, str]]:
    import pyarrow.parquet as pq  # after the measurements, like duckdb below

    last = pq.read_table(serve / "run_history.parquet").to_pylist()[-1]
    stages = ("expectations", "build", "publish")
    return [(stage, f"{last[f'{stage}_seconds']:.1f}") for stage in stages]


def _tree_rss_kib(root: int) -> int:
    """The summed resident set (KiB) of process `root` and all its descendants (/proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:  # it ended meanwhile
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry.name)] = int(line.split()[1])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def _run_sampled(label: str, cmd: list[str], env: dict[str, str], log: Path) -> Measurement:
    """Run `cmd` as one child; return its wall time and the peak of its process tree's
    summed RSS, sampled every 0.2 s (for commands whose memory is in a grandchild)."""
    peak = 0
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            peak = max(peak, _tree_rss_kib(proc.pid))
            time.sleep(0.2)
        wall = time.perf_counter() - start
    return Measurement(label, wall, peak / 1024, proc.returncode, log)


def _measure_spark(cache: Path, data_dir: Path, memory: str) -> tuple[Measurement, Path]:
    """Time `dbt build --target spark` on the files into a fresh Spark warehouse; returns
    the measurement and a DuckDB file whose views read the tables Spark wrote."""
    spark = cache / "spark"
    shutil.rmtree(spark, ignore_errors=True)
    spark.mkdir(parents=True)
    env = dbt_env(data_dir, spark / "unused.duckdb", target="spark")
    env.update(
        CRM_SPARK_WAREHOUSE=str(spark / "warehouse"),
        CRM_SPARK_METASTORE=str(spark / "metastore"),
        CRM_SPARK_DRIVER_MEMORY=memory,
    )
    dbt = str(Path(sys.executable).with_name("dbt"))
    cmd = [dbt, "build", "--project-dir", str(PROJECT_DIR)]
    cmd += ["--target-path", str(spark / "target"), "--log-path", str(spark / "logs")]
    label = f"dbt build on Spark (local, driver {memory})"
    measured = _run_sampled(label, cmd, env, cache / "spark.log")
    views = _fresh(cache / "spark_views.duckdb")
    if measured.exit_code == 0:
        import duckdb  # after the measurement, as in _cross_check

        with duckdb.connect(str(views)) as con:
            for schema in sorted((spark / "warehouse").glob("*.db")):
                name = schema.name.removesuffix(".db")
                con.execute(f'create schema if not exists "{name}"')
                for table in sorted(p for p in schema.iterdir() if any(p.rglob("*.parquet"))):
                    con.execute(  # a partitioned table (the batch stores) is a folder tree
                        f'create view "{name}"."{table.name}" as select * from '
                        f"read_parquet('{table}/**/*.parquet', hive_partitioning = true)"
                    )
    return measured, views


def _cross_check(handwritten: Path, dbt_warehouse: Path) -> list[tuple[str, str, str, str]]:
    """Compare the two warehouses; rows of (what, hand-written, dbt, customers differing)."""
    import duckdb  # only now, after the measurements: this process stays small until then

    con = duckdb.connect()
    con.execute(f"ATTACH '{handwritten}' AS hw (READ_ONLY)")
    con.execute(f"ATTACH '{dbt_warehouse}' AS dw (READ_ONLY)")

    def scalar(sql: str) -> object:
        row = con.execute(sql).fetchone()
        return row[0] if row else None

    rows = [
        (
            "as_of_date",
            str(scalar("SELECT min(as_of_date) FROM hw.main.rfm")),
            str(scalar("SELECT min(as_of_date) FROM dw.marts.fct_customer_rfm")),
            "",
        )
    ]
    rows += _staging_rows(scalar)
    rows += _mart_rows(scalar)
    rows += _clv_rows(scalar)
    for model in ("bgnbd", "mbgnbd", "pareto_nbd"):
        rows += _backtest_rows(scalar, model)
    con.close()
    return rows


Scalar = Callable[[str], Any]
"""Runs a query on the cross-check's connection and returns its first value."""


def _staging_rows(scalar: Scalar) -> list[tuple[str, str, str, str]]:
    """The accepted customers and orders on each side."""
    import duckdb

    rows = []
    for label, hw_table, dbt_relation in _STAGING:
        hw_rows = scalar(f"SELECT count(*) FROM hw.main.{hw_table}")
        try:
            dbt_rows = f"{scalar(f'SELECT count(*) FROM dw.{dbt_relation}'):,}"
        except duckdb.CatalogException:  # a view on Spark: no files to read here
            dbt_rows = "(a view)"
        rows.append((label, f"{hw_rows:,}", dbt_rows, ""))
    return rows


def _mart_rows(scalar: Scalar) -> list[tuple[str, str, str, str]]:
    """Every compared mart's rows on each side, and the customers whose class differs."""
    rows = []
    for label, hw_table, dbt_relation, columns in _MARTS:
        hw_rows = scalar(f"SELECT count(*) FROM hw.main.{hw_table}")
        dbt_rows = scalar(f"SELECT count(*) FROM dw.{dbt_relation}")
        only_one = scalar(
            f"SELECT count(*) FROM hw.main.{hw_table} h FULL JOIN dw.{dbt_relation} d "
            "ON h.customer_id = d.customer_id "
            "WHERE h.customer_id IS NULL OR d.customer_id IS NULL"
        )
        rows.append((f"{label} rows", f"{hw_rows:,}", f"{dbt_rows:,}", f"{only_one:,} one side"))
        for column in columns:
            differing = scalar(
                f"SELECT count(*) FROM hw.main.{hw_table} h FULL JOIN dw.{dbt_relation} d "
                f"ON h.customer_id = d.customer_id WHERE h.{column} IS DISTINCT FROM d.{column}"
            )
            rows.append((f"  {column}", "", "", f"{differing:,}"))
    return rows


def _clv_rows(scalar: Scalar) -> list[tuple[str, str, str, str]]:
    """The CLV rows on each side, and the customers whose figures differ beyond a tolerance."""
    hw_rows = scalar("SELECT count(*) FROM hw.main.clv")
    dbt_rows = scalar("SELECT count(*) FROM dw.marts.fct_customer_clv")
    rows = [("clv rows", f"{hw_rows:,}", f"{dbt_rows:,}", "")]
    for column, tolerance in (("p_alive", 1e-6), ("expected_purchases", 1e-6), ("clv", 0.01)):
        differing = scalar(
            "SELECT count(*) FROM hw.main.clv h FULL JOIN dw.marts.fct_customer_clv d "
            "ON h.customer_id = d.customer_id WHERE h.customer_id IS NULL "
            f"OR d.customer_id IS NULL OR abs(h.{column} - d.{column}) > "
            f"{tolerance} * greatest(1, abs(h.{column}))"
        )
        rows.append((f"  {column} (relative {tolerance:g})", "", "", f"{differing:,}"))
    return rows


def _backtest_rows(scalar: Scalar, model: str) -> list[tuple[str, str, str, str]]:
    """The backtest of one purchase model: its prediction per calibration customer, and
    its RMSE."""
    hw_rows = scalar(f"SELECT count(*) FROM hw.main.clv_backtest WHERE model = '{model}'")
    dbt_rows = scalar(
        f"SELECT count(*) FROM dw.intermediate.int_customers_clv_backtested WHERE model = '{model}'"
    )
    rows = [(f"backtest rows {model}", f"{hw_rows:,}", f"{dbt_rows:,}", "")]
    differing = scalar(
        "SELECT count(*) FROM (SELECT * FROM hw.main.clv_backtest "
        f"WHERE model = '{model}') h FULL JOIN (SELECT * FROM "
        f"dw.intermediate.int_customers_clv_backtested WHERE model = '{model}') d "
        "ON h.customer_id = d.customer_id WHERE h.customer_id IS NULL "
        "OR d.customer_id IS NULL OR abs(h.predicted - d.predicted_purchases) > "
        "1e-6 * greatest(1, abs(h.predicted))"
    )
    rows.append(("  predicted purchases (relative 1e-06)", "", "", f"{differing:,}"))
    hw_rmse = scalar(
        f"SELECT rmse FROM hw.main.clv_backtest_summary WHERE model = '{model}' AND bucket = 'all'"
    )
    dbt_rmse = scalar(
        "SELECT rmse FROM dw.marts.fct_clv_backtest_summary "
        f"WHERE purchase_model = '{model}' AND frequency_bucket = 'all'"
    )
    rows.append(("  holdout RMSE", f"{hw_rmse:.6f}", f"{dbt_rmse:.6f}", ""))
    return rows


def _print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for n, row in enumerate([header, *rows]):
        rest = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in rest)]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/bench_value_model.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "crm_bench_value_model",
        help="generated data (one folder per size and seed), warehouses and logs",
    )
    parser.add_argument("--script", type=Path, default=SCRIPT, help="the hand-written SQL")
    parser.add_argument(
        "--keep-warehouses", action="store_true", help="keep both DuckDB files afterwards"
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="also measure the whole `crm-value refresh` (door, build, publish) on the files",
    )
    parser.add_argument(
        "--backfill",
        type=int,
        metavar="N",
        help="also measure a backfill of N monthly dates of the tier history on the files",
    )
    parser.add_argument(
        "--spark",
        action="store_true",
        help="also measure `dbt build --target spark` on the files (make setup-spark first)",
    )
    parser.add_argument(
        "--spark-memory", default="8g", help="the Spark driver's memory with --spark (8g)"
    )
    parser.add_argument(
        "--daily",
        type=int,
        metavar="N",
        help="also measure the daily mode: the files as folders of increments, a full "
        "refresh, N daily deliveries of about 14,000 orders each refreshed, then a full "
        "refresh of the same files, the two served marts compared",
    )
    return parser.parse_args(argv)


def _measure_both(
    script: Path, cache: Path, data_dir: Path, hw_db: Path, dbt_db: Path
) -> tuple[Measurement, Measurement]:
    """The hand-written script, then `dbt build` (every seed, model and test), on the
    files in `data_dir` into the fresh DuckDB files `hw_db` and `dbt_db`."""
    dbt_target = cache / "dbt_target"
    shutil.rmtree(dbt_target, ignore_errors=True)
    hw_cmd = [sys.executable, "-c", _HANDWRITTEN_CHILD, str(script.resolve()), str(data_dir)]
    hw_cmd += [str(hw_db), str(PICTURE_SCRIPT), str(CLV_SCRIPT)]
    handwritten = _run_measured(
        "hand-written script", hw_cmd, os.environ.copy(), cache / "handwritten.log"
    )
    dbt = str(Path(sys.executable).with_name("dbt"))
    dbt_cmd = [dbt, "build", "--project-dir", str(PROJECT_DIR), "--target-path", str(dbt_target)]
    dbt_cmd += ["--log-path", str(cache / "dbt_logs")]
    dbt_build = _run_measured(
        "dbt build (models + tests)",
        dbt_cmd,
        dbt_env(data_dir, dbt_db, target="duckdb"),
        cache / "dbt.log",
    )
    return handwritten, dbt_build


def _measure_extras(
    args: argparse.Namespace, cache: Path, data_dir: Path
) -> tuple[dict[str, Measurement], Path | None]:
    """What the flags add (refresh, backfill, Spark), by flag in that order; and with
    --spark the DuckDB file whose views read Spark's tables."""
    extras: dict[str, Measurement] = {}
    spark_views = None
    if args.refresh:
        extras["refresh"] = _measure_refresh(cache, data_dir)
    if args.backfill:
        extras["backfill"] = _measure_backfill(cache, data_dir, args.backfill)
    if args.spark:
        extras["spark"], spark_views = _measure_spark(cache, data_dir, args.spark_memory)
    return extras, spark_views


def _summary_rows(
    handwritten: Measurement, dbt_build: Measurement, extras: dict[str, Measurement]
) -> list[tuple[str, ...]]:
    """Every measurement, the dbt / hand-written ratios against the bar, and the ratio of
    each extra to what it is compared with."""
    results = [handwritten, dbt_build, *extras.values()]
    rows = [
        (m.label, f"{m.wall_s:.1f}", f"{m.peak_rss_mib:,.0f}", str(m.exit_code)) for m in results
    ]
    time_ratio = dbt_build.wall_s / handwritten.wall_s
    rss_ratio = dbt_build.peak_rss_mib / handwritten.peak_rss_mib
    rows.append(("ratio dbt / hand-written", f"{time_ratio:.2f}x", f"{rss_ratio:.2f}x", ""))
    rows.append(
        (
            f"within {BAR:g}x",
            "yes" if time_ratio <= BAR else "NO",
            "yes" if rss_ratio <= BAR else "NO",
            "",
        )
    )
    compared = {
        "refresh": ("ratio refresh / hand-written", handwritten),
        "backfill": ("ratio backfill / dbt build", dbt_build),
        "spark": ("ratio Spark / DuckDB dbt build", dbt_build),
    }
    for name, measured in extras.items():
        label, base = compared[name]
        rows.append(
            (
                label,
                f"{measured.wall_s / base.wall_s:.2f}x",
                f"{measured.peak_rss_mib / base.peak_rss_mib:.2f}x",
                "",
            )
        )
    return rows


def _print_stages(cache: Path, extras: dict[str, Measurement]) -> None:
    """The backfill's seconds per date and the refresh's stages, of those that passed."""
    backfill = extras.get("backfill")
    if backfill is not None and backfill.exit_code == 0:
        print("\nbackfill: seconds per date (the first also builds the staging layer)")
        _print_table(("as_of_date", "seconds"), _backfill_dates(backfill.log))
    refresh = extras.get("refresh")
    if refresh is not None and refresh.exit_code == 0:
        print("\nrefresh stages (seconds, from its run history)")
        _print_table(("stage", "seconds"), _refresh_stages(cache / "serving"))


def _daily_mode(cache: Path, data_dir: Path, days: int) -> list[Measurement]:
    """Measure and print the daily mode; a failed run or differing marts come back as one
    failed measurement."""
    daily_rows = _measure_daily(cache, data_dir, days)
    print(
        "\ndaily mode (seconds; share = wall / the first full refresh; stages from the run history)"
    )
    header = ("run", "wall s", "peak RSS MiB", "share", "door", "build", "publish", "exit")
    _print_table(header, daily_rows)
    if any(row[1] == "DIFFERENT" or row[0].endswith("FAILED") for row in daily_rows):
        (cache / "daily.log").write_text("a daily run failed or the marts differ (above)\n")
        return [Measurement("daily mode", 0, 0, 1, cache / "daily.log")]
    return []


def _print_outcome(
    failed: list[Measurement], hw_db: Path, dbt_db: Path, spark_views: Path | None
) -> None:
    """The last lines of every failed command's log, else the cross-checks."""
    for m in failed:
        tail = m.log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
        print(f"\n{m.label} failed (exit {m.exit_code}); last lines of {m.log}:")
        print("\n".join(tail))
    if failed:
        return
    print("\ncross-check (differing: customers, full join on customer_id)")
    _print_table(("", "hand-written", "dbt", "differing"), _cross_check(hw_db, dbt_db))
    if spark_views is not None:
        print("\ncross-check of Spark's build (differing: customers)")
        rows = _cross_check(hw_db, spark_views)
        _print_table(("", "hand-written", "dbt on Spark", "differing"), rows)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    cache = args.cache_dir.resolve()
    data_dir = cache / f"raw_c{args.customers}_o{args.orders}_s{args.seed}"
    data_dir.mkdir(parents=True, exist_ok=True)
    _ensure_data(data_dir, args.customers, args.orders, args.seed)
    hw_db = _fresh(cache / "handwritten.duckdb")
    dbt_db = _fresh(cache / "dbt.duckdb")
    handwritten, dbt_build = _measure_both(args.script, cache, data_dir, hw_db, dbt_db)

    print(
        f"\n{args.customers:,} customers / {args.orders:,} orders, Parquet, seed {args.seed} "
        f"(bar: dbt <= {BAR:g}x hand-written)"
    )
    extras, spark_views = _measure_extras(args, cache, data_dir)
    rows = _summary_rows(handwritten, dbt_build, extras)
    _print_table(("", "wall s", "peak RSS MiB", "exit"), rows)
    _print_stages(cache, extras)
    results = [handwritten, dbt_build, *extras.values()]
    if args.daily:
        results += _daily_mode(cache, data_dir, args.daily)

    failed = [m for m in results if m.exit_code != 0]
    _print_outcome(failed, hw_db, dbt_db, spark_views)
    if not args.keep_warehouses:
        for database in (hw_db, dbt_db):
            _fresh(database)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
