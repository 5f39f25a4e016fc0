"""Several dbt commands on the Spark target in one process, so one Spark session (one
JVM, warmed up once) serves them all: `python spark_session.py STEPS_JSON`.

STEPS_JSON is a list of steps, each {"args": [...], "env": {...}, "keep": "<folder>"}:
the step's env is set (a null value unsets), dbt runs its args through dbtRunner, and
when it passes, the table folders of the warehouse's audit, intermediate and marts
schemas are copied to `keep` before the next step replaces them. Each step prints one
line after dbt's own output, `step <n>: passed, <k> tables (<s> s)` or `step <n>: failed,
...`, k counting the tables of the whole warehouse; the exit code is the number of
failed steps.

dbt-spark's session connection takes the process's SparkSession (getOrCreate), whose
warehouse and metastore are fixed when it starts: every step writes the same warehouse,
hence the copies, and a step after the first should pass --full-refresh.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

KEPT_SCHEMAS = ("audit.db", "intermediate.db", "marts.db")


def warehouse_schemas() -> list[Path]:
    """The warehouse's schema folders (`<schema>.db`)."""
    return sorted(Path(os.environ["CRM_SPARK_WAREHOUSE"]).glob("*.db"))


def main(steps: list[dict]) -> int:
    from dbt.cli.main import dbtRunner

    failed = 0
    for number, step in enumerate(steps):
        for name, value in step.get("env", {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        started = time.monotonic()
        result = dbtRunner().invoke(step["args"])
        passed = bool(result.success)
        if passed and step.get("keep"):
            for folder in warehouse_schemas():
                if folder.name in KEPT_SCHEMAS:
                    shutil.copytree(folder, Path(step["keep"]) / folder.name)
        failed += not passed
        tables = sum(1 for schema in warehouse_schemas() for _ in schema.iterdir())
        took = time.monotonic() - started
        print(
            f"step {number}: {'passed' if passed else 'failed'}, {tables} tables ({took:.1f} s)",
            flush=True,
        )
    return failed


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
