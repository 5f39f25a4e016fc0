"""A dbt and a `crm-value` that start at once, for the tests' own calls (`run_dbt`,
`run_refresh`, `run_backfill`).

Importing dbt takes about 2 s of every `dbt` process, and importing the refresh with Great
Expectations about 2.7 s of every `crm-value` process; the tests start a few hundred. This
server imports both once per pytest worker, then forks a child for each call: the child is
a fresh process (its own environment, folder, arguments, database connections, child
processes and exit code) that starts with the modules already imported, and runs the
program's own entry point, as the installed `dbt` and `crm-value` scripts do. Nothing of
one call reaches the next: each child begins from the server as it was after the import.
The tests that signal or stream a refresh start it as its own process.

Protocol: one JSON line per connection ({"program", "args", "env", "cwd", "output",
"errors"}, program `dbt` or `crm-value`); the reply is the exit code; the program's
stdout is in the file `output`, its stderr in `errors` (without it, in `output` too).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import traceback


def _child(request: dict) -> int:
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for stream, path in ((1, request["output"]), (2, request.get("errors", request["output"]))):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, stream)
        os.close(fd)
    if request.get("program") == "crm-value":
        from crm_value.cli import main

        sys.argv = ["crm-value", *request["args"]]
        return main(request["args"])
    from dbt.cli.main import cli

    sys.argv = ["dbt", *request["args"]]
    try:
        cli.main(args=request["args"], prog_name="dbt", standalone_mode=True)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException:  # the child reports any failure, as dbt would
        traceback.print_exc()
        return 1
    return 0


def serve(path: str) -> None:
    # The imports every call would pay; Great Expectations as the door imports it
    # (analytics off, pyspark hidden). None of them starts a thread, which a fork would lose.
    import dbt.adapters.duckdb
    import dbt.cli.main  # noqa: F401

    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import crm_value.cli  # noqa: F401
    from crm_value.expectations import _import_gx

    _import_gx()

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        with conn:
            request = json.loads(conn.makefile("r", encoding="utf-8").readline())
            pid = os.fork()
            if pid == 0:
                server.close()
                # A normal exit, as the `dbt` program ends: the interpreter shuts down
                # and DuckDB checkpoints the database (os._exit would leave it in the WAL).
                raise SystemExit(_child(request))
            _, status = os.waitpid(pid, 0)
            conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())


if __name__ == "__main__":
    serve(sys.argv[1])
