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

The parse sees only the vars that shape the parsed project (PARSE_VARS); the commands get
them all. dbt parses the whole project again whenever the --vars it is given differ from
those of its saved parse (target/partial_parse.msgpack): with the full vars, a refresh for
another as_of_date, and each test that sets a var, paid a full parse (about 4 CPU-s of
the demo's 7). A bad value still stops the run at the vars check, which runs with them all.

    python -m crm_value.refresh_worker once DBT_ARGS...

runs one dbt command the same way (the backfill's vars check), and exits with its code.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import yaml

EXIT_LINE = "CRM-DBT-EXIT"
# The vars that the parse reads: the raw sources' freshness filter holds
# future_tolerance_days and their reader raw_csv_options, rendered when dbt parses the
# YAML. Every other var changes only what the SQL compiles to, never the parsed project
# (test_parse_vars.py checks both).
PARSE_VARS = ("future_tolerance_days", "raw_csv_options")
# The dbt flags that are the parse's, with their values.
_PARSE_FLAGS = ("--project-dir", "--profiles-dir", "--target-path", "--log-path", "--target")


def _exit_code(result: Any) -> int:
    if result.success:
        return 0
    return 2 if result.exception is not None else 1


def parse_args(args: list[str]) -> list[str]:
    """`dbt parse` with the project flags of `args` (a dbt command and its flags) and, of
    its --vars, only PARSE_VARS."""
    parse = ["parse", "--quiet"]
    for flag in _PARSE_FLAGS:
        if flag in args:
            parse += [flag, args[args.index(flag) + 1]]
    if "--vars" in args:
        given = yaml.safe_load(args[args.index("--vars") + 1]) or {}
        kept = {name: given[name] for name in PARSE_VARS if name in given}
        if kept:
            parse += ["--vars", json.dumps(kept, default=str)]
    return parse


def once(args: list[str]) -> int:
    """Run the dbt command `args` on a parse as `main` makes it; dbt's exit code. A
    `parse` itself runs as asked, with all its vars."""
    from dbt.cli.main import dbtRunner

    if args[:1] == ["parse"]:
        return _exit_code(dbtRunner().invoke(args))
    parsed = dbtRunner().invoke(parse_args(args))
    if not parsed.success:
        return 2
    return _exit_code(dbtRunner(manifest=parsed.result).invoke(args))


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
            parsed = dbtRunner().invoke(parse_args(flags))
            if not parsed.success:
                print(f"{EXIT_LINE} 2", flush=True)
                continue
            manifest = parsed.result
        result = dbtRunner(manifest=manifest).invoke([*request["args"], *flags])
        print(f"{EXIT_LINE} {_exit_code(result)}", flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["once"]:
        sys.exit(once(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
