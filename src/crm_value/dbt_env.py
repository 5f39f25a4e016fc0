"""Where the dbt project is and the environment a dbt child process needs.

Kept free of heavy imports so the benchmarks' parent process stays small.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def dbt_env(
    raw_dir: Path | None,
    warehouse: Path,
    raw_format: str = "parquet",
    history_dir: Path | None = None,
    target: str | None = None,
) -> dict[str, str]:
    """This process's environment plus what `dbt build` on raw files in `raw_dir` needs
    (`raw_dir` None: the bundled demo seeds), reading the tier-history store in
    `history_dir` (None: no stored history, the build's own date only), on the profile's
    `target` (None: CRM_TARGET as it is). On Spark, the project's Python that Spark runs
    (the CLV fit, the raw-file rules) is this interpreter unless PYSPARK_PYTHON says."""
    # dbt reads flags from DBT_* variables (DBT_EXCLUDE_RESOURCE_TYPES, DBT_EMPTY,
    # DBT_DEFER, ...): one left in a scheduler's environment could skip every test. The
    # child gets none but the ones set here.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    env.pop("CRM_RAW_DIR", None)
    env.pop("CRM_HISTORY_DIR", None)
    if raw_dir is not None:
        env["CRM_RAW_DIR"] = str(raw_dir)
    if history_dir is not None:
        env["CRM_HISTORY_DIR"] = str(history_dir)
    if target is not None:
        env["CRM_TARGET"] = target
    # On Spark, an empty PYSPARK_PYTHON (a scheduler's blank variable) is no interpreter.
    if env.get("CRM_TARGET", "duckdb") == "spark" and not env.get("PYSPARK_PYTHON"):
        env["PYSPARK_PYTHON"] = sys.executable
    env.update(
        CRM_RAW_FORMAT=raw_format,
        CRM_WAREHOUSE_PATH=str(warehouse),
        DBT_PROFILES_DIR=str(PROJECT_DIR / "profiles"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    return env
