"""The refresh's dbt process: the project parsed once, then every dbt command of the run.

    python -m crm_value.refresh_worker [dbt flags: --project-dir, --target-path, --vars ...]

`crm-value refresh` starts this as its child (a crash inside dbt cannot take the refresh
and its run history with it, and the kernel stops it when the refresh dies) at its first
dbt command, and writes one request a line on its stdin: `{"args": [...], "env": {...}}`,
a dbt command and the environment it runs in. The first request parses the project with
the flags given here (the refresh's vars, fixed for the whole run: a var changes what the
SQL compiles to, never the graph), and every request runs on that one manifest. After
each, the worker prints `CRM-DBT-EXIT <code>`: 0 when dbt succeeded, 1 when a node failed,
2 when dbt could not run (the exit codes of the `dbt` program). It exits when its stdin
closes, as the `dbt` program would after its command, so DuckDB checkpoints and lets go
of the work database.

One parse and one import of dbt per refresh instead of one per command (the vars check,
freshness, the build): about 2 s of import and a parse (1 to 5 s) less per refresh.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

EXIT_LINE = "CRM-DBT-EXIT"


def _exit_code(result: Any) -> int:
    if result.success:
        return 0
    return 2 if result.exception is not None else 1


def main(flags: list[str]) -> int:
    from dbt.cli.main import dbtRunner

    manifest = None
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        os.environ.clear()
        os.environ.update(request["env"])
        if manifest is None:
            parsed = dbtRunner().invoke(["parse", "--quiet", *flags])
            if not parsed.success:
                print(f"{EXIT_LINE} 2", flush=True)
                continue
            manifest = parsed.result
        result = dbtRunner(manifest=manifest).invoke([*request["args"], *flags])
        print(f"{EXIT_LINE} {_exit_code(result)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
