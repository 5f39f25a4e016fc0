"""A dbt that starts at once, for the tests' own dbt calls (`run_dbt`).

Importing dbt takes about 2 s of every `dbt` process, and the tests start over a hundred.
This server imports dbt once per pytest worker, then forks a child for each call: the
child is a fresh process (its own environment, folder, database connection and exit
code) that starts with dbt already imported. Nothing of one call reaches the next: each
child begins from the server as it was after the import. The refresh and the backfill
start their own `dbt` processes as users run them; only `run_dbt` uses this.

A call with --vars runs as the refresh runs dbt (crm_value.refresh_worker.once): the
project parsed with only the vars that shape it, then the command with them all, so a
test that sets a var reuses the parse of the last test instead of parsing the project
again (dbt parses it all whenever its --vars differ from those of its saved parse).

Protocol: one JSON line per connection ({"args", "env", "cwd", "output"}); the reply is
the exit code, and dbt's output is in the file `output`.
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
    fd = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    if "--vars" in request["args"]:
        # As the refresh runs dbt: the parse sees only the vars that shape the parsed
        # project, the command all of them (crm_value.refresh_worker; test_parse_vars).
        from crm_value.refresh_worker import once

        return once(request["args"])
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
    # The imports every call would pay.
    import dbt.adapters.duckdb
    import dbt.cli.main  # noqa: F401

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
