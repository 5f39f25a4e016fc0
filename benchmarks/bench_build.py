"""Benchmark: build the warehouse from generated Parquet files and print what it cost.

Generates the data set (unless it is already there), then runs `dbt build` on it through
CRM_RAW_DIR in a fresh warehouse file, and prints the wall time and the peak resident
memory of the dbt process. A measurement script, not a test: nothing asserts on time.

    python benchmarks/bench_build.py --customers 1000000 --orders 10000000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from crm_value.dbt_env import PROJECT_DIR, dbt_env
from crm_value.generate import generate


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run `cmd` as a child; return (wall seconds, peak RSS in MiB, exit code).

    Peak RSS is the largest of this process's waited-for children (ru_maxrss), so run one
    measured command per process for a clean figure.
    """
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=PROJECT_DIR, env=env, check=False)
    wall = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak_kib / 1024, proc.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/crm_bench/raw"))
    parser.add_argument("--warehouse", type=Path, default=Path("/tmp/crm_bench/warehouse.duckdb"))
    args = parser.parse_args(argv)

    manifest = args.data_dir / "_anomalies.json"
    wanted = {"customers": args.customers, "orders": args.orders, "seed": args.seed}
    have = json.loads(manifest.read_text()) if manifest.exists() else {}
    if {k: have.get(k) for k in wanted} != wanted or have.get("format") != "parquet":
        t0 = time.perf_counter()
        generate(args.data_dir, "parquet", args.customers, args.orders, args.seed, True)
        print(
            f"generated {args.customers:,} customers / {args.orders:,} orders "
            f"in {time.perf_counter() - t0:.1f}s -> {args.data_dir}"
        )
    for suffix in ("", ".wal"):
        Path(str(args.warehouse) + suffix).unlink(missing_ok=True)
    args.warehouse.parent.mkdir(parents=True, exist_ok=True)

    dbt = str(Path(sys.executable).with_name("dbt"))
    cmd = [dbt, "build", "--project-dir", str(PROJECT_DIR)]
    wall, peak_mib, code = measure(cmd, dbt_env(args.data_dir, args.warehouse))
    print(
        f"dbt build (all models and tests), {args.customers:,} customers / "
        f"{args.orders:,} orders, Parquet: wall {wall:.1f}s, peak RSS {peak_mib:,.0f} MiB, "
        f"exit {code}"
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
