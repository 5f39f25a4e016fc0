"""`crm-value`: the project's small command line.

    crm-value refresh [--raw-dir DIR] [--serve-dir DIR] [--vars YAML] [...]
    crm-value backfill (--from D --to D --every month | --last N --every month | --dates D,D)
    crm-value generate --out DIR [--format csv|parquet] [--customers N] [--orders N]
    crm-value bench-build [--customers N] [--orders N]
    crm-value bench-value-model [--customers N] [--orders N]
    crm-value bench-history [--customers N] [--dates 3,30]
    crm-value dashboard [--serve-dir DIR] [--port N] [--host H]

Each sub-command is a module with its own `main(argv)`; this only dispatches.
"""

from __future__ import annotations

import sys

from crm_value import backfill, bench_build, bench_history, bench_value_model, generate, refresh
from crm_value.dashboard import command as dashboard

COMMANDS = {
    "refresh": refresh.main,
    "backfill": backfill.main,
    "generate": generate.main,
    "bench-build": bench_build.main,
    "bench-value-model": bench_value_model.main,
    "bench-history": bench_history.main,
    "dashboard": dashboard.main,
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in COMMANDS:
        print(__doc__.strip())
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    result = COMMANDS[argv[0]](argv[1:])
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
