"""`crm-value dashboard`: run the Streamlit dashboard over a serving folder.

    crm-value dashboard [--serve-dir DIR] [--port N] [--host H] [--show-contacts]

The app reads `<serve-dir>/current/crm_value.duckdb` read-only (and, with
--show-contacts only, the restricted file beside it when this account can read it); it
follows `current` at every rerun, so a refresh that publishes while the dashboard runs is
picked up without a restart.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from crm_value.dashboard import APP, CONTACTS_ENV, DEFAULT_SERVE_DIR, SERVE_DIR_ENV

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def streamlit_command(port: int, host: str) -> list[str]:
    """The Streamlit command line: headless, no usage statistics, no file watcher (the
    app's code does not change under a running dashboard; the data is re-read anyway)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="crm-value dashboard", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--serve-dir",
        type=Path,
        help=f"serving folder (default: ${SERVE_DIR_ENV}, else serving/ in the project)",
    )
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    parser.add_argument(
        "--host",
        default="localhost",
        help="address to listen on (default localhost; 0.0.0.0 for every interface)",
    )
    parser.add_argument(
        "--show-contacts",
        action="store_true",
        help="show names, emails and phones from the release's restricted file (when this "
        "account may read it) to whoever opens the dashboard; refused unless it listens on "
        "localhost only",
    )
    args = parser.parse_args(argv)
    if args.show_contacts and args.host not in LOCAL_HOSTS:
        parser.error(
            f"--show-contacts with --host {args.host}: every viewer on the network would see "
            "the customers' names, emails and phones; serve contacts on localhost only"
        )
    if (
        args.serve_dir is None
        and SERVE_DIR_ENV in os.environ
        and not os.environ[SERVE_DIR_ENV].strip()
    ):
        parser.error(f"{SERVE_DIR_ENV} is set but empty: unset it for the default, or set a path")
    serve_dir = (
        args.serve_dir or Path(os.environ.get(SERVE_DIR_ENV) or DEFAULT_SERVE_DIR)
    ).resolve()
    if not serve_dir.is_dir():
        print(f"note: {serve_dir} does not exist yet; the dashboard says so until a refresh")
    env = {
        **os.environ,
        SERVE_DIR_ENV: str(serve_dir),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        CONTACTS_ENV: "1" if args.show_contacts else "0",
    }
    print(f"dashboard on http://{args.host}:{args.port}/ reading {serve_dir}/current", flush=True)
    proc = subprocess.Popen(streamlit_command(args.port, args.host), env=env)
    # A stop sent to this process alone (a service manager's SIGTERM) stops Streamlit too.
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:  # Ctrl-C reached Streamlit too: wait for it to stop
            continue
