"""`crm-value`: the project's small command line.

    crm-value refresh [--raw-dir DIR] [--serve-dir DIR] [--vars YAML] [...]
    crm-value backfill (--from D --to D --every month | --last N --every month | --dates D,D)
    crm-value generate --out DIR [--format csv|parquet] [--customers N] [--orders N]
    crm-value dashboard [--serve-dir DIR] [--port N] [--host H]

Each sub-command is a module with its own `main(argv)`; this only dispatches. The
benchmarks are scripts in benchmarks/ (`make bench-build ARGS=...` and the like), outside
the installed package.
"""

from __future__ import annotations

import sys

from crm_value import backfill, generate, refresh
from crm_value.dashboard import command as dashboard

COMMANDS = {
    "refresh": refresh.main,
    "backfill": backfill.main,
    "generate": generate.main,
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
