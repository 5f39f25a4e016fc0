"""Shared helpers: run dbt against a raw folder in a throw-away warehouse, read results."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from crm_value.dbt_env import dbt_env
from crm_value.dbt_runner import project_flags
from crm_value.generate import generate
from crm_value.refresh_worker import PARSE_VARS

PROJECT_DIR = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CLEAN = FIXTURES / "clean"
DBT = Path(sys.executable).with_name("dbt")


# --- One test folder per worker, and dbt's parse shared between tests ------------------
#
# A dbt invocation in a fresh target folder parses the whole project (about 5 s; a
# quarter of the test command's time went to it). dbt reuses a saved parse only when the
# vars, the env vars dbt_project.yml reads and the profile's connection (the warehouse
# path) are the same, so two tests parse once only if their paths are the same. Each
# worker therefore runs its tests in one folder, emptied before each test, and keeps
# dbt's saved parse (target/partial_parse.msgpack) between them, keyed on what the
# invocation passes dbt. dbt still checks every saved parse itself: a wrong key costs a
# full parse, never a stale manifest.

_PARSE_CACHE: Path | None = None


@pytest.fixture(scope="session", autouse=True)
def _parse_cache(tmp_path_factory) -> Path:
    global _PARSE_CACHE
    _PARSE_CACHE = tmp_path_factory.getbasetemp() / "dbt-parse-cache"
    _PARSE_CACHE.mkdir(exist_ok=True)
    return _PARSE_CACHE


@pytest.fixture
def tmp_path(tmp_path_factory) -> Path:
    """This worker's test folder, emptied: the same path for every test of the worker,
    so dbt can reuse its parse (pytest's own tmp_path differs per test)."""
    path = tmp_path_factory.getbasetemp() / "test"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    return path


@contextmanager
def shared_parse(target: Path, *key: object) -> Iterator[None]:
    """Seed the dbt target folder `target` with the parse saved under `key`, and save
    the parse dbt leaves there afterwards."""
    if _PARSE_CACHE is None:
        yield
        return
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    cached = _PARSE_CACHE / f"{digest[:20]}.msgpack"
    saved = target / "partial_parse.msgpack"
    created: list[Path] = []  # the folders made for the seeded parse, deepest first
    seeded = None
    if cached.exists() and not saved.exists():
        created = [p for p in (target, *target.parents) if not p.exists()]
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, saved)
        seeded = saved.stat().st_mtime_ns
    yield
    if seeded is not None and saved.exists() and saved.stat().st_mtime_ns == seeded:
        # dbt did not write a parse (a command that stopped before dbt, or one that reused
        # the parse as it was): take the seeded copy back, and the folders made for it, so
        # that a test sees only what the command left.
        saved.unlink()
        for folder in created:
            try:
                folder.rmdir()
            except OSError:  # the command wrote into it
                break
    elif saved.exists():
        partial = cached.with_suffix(".part")
        shutil.copyfile(saved, partial)
        os.replace(partial, cached)


# --- dbt imported once per worker --------------------------------------------------------

_FORKSERVER: Path | None = None  # the socket of this worker's dbt_forkserver, once started


@pytest.fixture(scope="session", autouse=True)
def _dbt_forkserver(tmp_path_factory) -> Iterator[None]:
    """Start this worker's dbt fork server (see dbt_forkserver.py); `run_dbt` uses it."""
    global _FORKSERVER
    sock = tmp_path_factory.getbasetemp() / "dbt.sock"
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("dbt_forkserver.py")), str(sock)],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    if server.stdout.readline().strip() == "ready":
        _FORKSERVER = sock
    try:
        yield
    finally:
        _FORKSERVER = None
        server.kill()
        server.wait()


def _dbt_call(cmd: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run the dbt command `cmd` (without the program) with `env`; its code and output.
    Through this worker's fork server when it runs, else as a new process."""
    if _FORKSERVER is None:
        program = [str(DBT)]
        if "--vars" in cmd:  # as the fork server runs it
            program = [sys.executable, "-m", "crm_value.refresh_worker", "once"]
        proc = subprocess.run(
            [*program, *cmd], cwd=PROJECT_DIR, env=env, capture_output=True, text=True
        )
        return proc.returncode, proc.stdout + proc.stderr
    output = _FORKSERVER.with_name("dbt-output.txt")  # one call at a time per worker
    request = {"args": cmd, "env": env, "cwd": str(PROJECT_DIR), "output": str(output)}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(str(_FORKSERVER))
        conn.sendall((json.dumps(request) + "\n").encode())
        code = int(conn.makefile("r", encoding="utf-8").readline())
    if not output.exists():  # the child failed before dbt started (a bad folder, say)
        return code, f"dbt fork server: the call ended with {code} and wrote no output"
    text = output.read_text(encoding="utf-8", errors="replace")
    output.unlink()
    return code, text


@dataclass
class DbtRun:
    """The outcome of one dbt invocation."""

    returncode: int
    output: str
    warehouse: Path

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Run `sql` on the warehouse this build wrote, read-only."""
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list | None = None):
        rows = self.query(sql, params)
        return rows[0][0] if rows else None


def run_dbt(
    args: list[str],
    work_dir: Path,
    raw_dir: Path | None = None,
    raw_format: str = "csv",
    dbt_vars: dict | None = None,
    unit_tests: bool = False,
) -> DbtRun:
    """Run `dbt <args>` on the project with its own warehouse, target and log folders.

    A build leaves the unit tests out unless `unit_tests`: they do not read the data the
    test built, and `make test` runs them once (`make unit-test`)."""
    # The environment and flags the refresh and the backfill give dbt (crm_value.dbt_runner):
    # no DBT_* variable of this shell reaches the build.
    env = dbt_env(raw_dir, work_dir / "warehouse.duckdb", raw_format)
    # No manifest.json or run_results.json: no test reads them, and writing the manifest
    # (twice a build) cost about a second and a half.
    env["DBT_WRITE_JSON"] = "false"
    # No debug log file: the test keeps dbt's output, and writing every event to a file
    # cost about a sixth of a small build (the refresh keeps its log).
    cmd = [*args, *project_flags(work_dir, log_file=False)]
    if dbt_vars:
        cmd += ["--vars", json.dumps(dbt_vars)]
    if args[:1] == ["build"] and not unit_tests and "--exclude-resource-type" not in args:
        cmd += ["--exclude-resource-type", "unit_test"]
    crm_env = {k: v for k, v in env.items() if k.startswith("CRM_")}
    # With --vars, dbt parses with PARSE_VARS alone (dbt_forkserver.py).
    parsed_with = {k: v for k, v in (dbt_vars or {}).items() if k in PARSE_VARS}
    with shared_parse(work_dir / "target", "dbt", parsed_with, crm_env):
        code, output = _dbt_call(cmd, env)
    return DbtRun(code, output, work_dir / "warehouse.duckdb")


class RawFolder:
    """A copy of a raw fixture folder that a test may change before it builds."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def rows(self, entity: str) -> list[dict[str, str]]:
        with open(self.path / f"{entity}.csv", newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def header(self, entity: str) -> list[str]:
        with open(self.path / f"{entity}.csv", newline="", encoding="utf-8") as f:
            return next(csv.reader(f))

    def write(self, entity: str, rows: list[dict[str, str]], header: list[str] | None = None):
        header = header or self.header(entity)
        with open(self.path / f"{entity}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)

    def append(self, entity: str, *rows: dict[str, str]) -> None:
        self.write(entity, self.rows(entity) + list(rows))

    def drop_column(self, entity: str, column: str) -> None:
        header = [c for c in self.header(entity) if c != column]
        self.write(entity, self.rows(entity), header)


@pytest.fixture
def raw(tmp_path: Path) -> RawFolder:
    """A fresh copy of the clean fixture folder."""
    target = tmp_path / "raw"
    shutil.copytree(CLEAN, target)
    return RawFolder(target)


@pytest.fixture
def work(tmp_path: Path) -> Iterator[Path]:
    """A folder for one build's warehouse, target and logs."""
    path = tmp_path / "work"
    path.mkdir()
    yield path


LIFETIMES_WHEEL = "lifetimes==0.11.3"
CDNOW_MEMBER = "lifetimes/datasets/CDNOW_sample.txt"


@pytest.fixture(scope="session")
def cdnow_lines(tmp_path_factory) -> list[str]:
    """The lines of the CDNOW sample (customer, date, quantity, amount per transaction),
    read from the `lifetimes` wheel on PyPI: downloaded, not installed, not committed."""
    folder = tmp_path_factory.mktemp("lifetimes")
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
    subprocess.run([*pip, LIFETIMES_WHEEL, "-d", str(folder)], check=True)
    (wheel,) = folder.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(CDNOW_MEMBER).decode("ascii").splitlines()


# --- `crm-value refresh` as a user runs it, on a serving folder published once per worker

CRM_VALUE = Path(sys.executable).with_name("crm-value")
AS_OF = {"as_of_date": "2025-07-01"}  # explicit and past: freshness is skipped


@dataclass
class Refresh:
    returncode: int
    output: str


def refresh_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    return env


def _target(args: list[str]) -> str | None:
    """The profile target `crm-value` arguments name (None: CRM_TARGET decides)."""
    return args[args.index("--target") + 1] if "--target" in args else None


def refresh_args(
    raw_dir: Path | None, serve: Path, dbt_vars: dict | None, *extra: str
) -> list[str]:
    args = [str(CRM_VALUE), "refresh", "--serve-dir", str(serve)]
    if _target(list(extra)) != "spark":  # Spark builds in its own warehouse folder
        args += ["--warehouse", str(serve.parent / "work.duckdb")]
    if raw_dir is not None:
        args += ["--raw-dir", str(raw_dir)]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    return args + list(extra)


def crm_value_parse(
    raw_dir: Path | None, serve: Path, args: list[str], env: dict[str, str] | None
) -> contextlib.AbstractContextManager[None]:
    """The dbt parse shared by `crm-value refresh` and `backfill` runs on the raw folder
    `raw_dir` into `serve`: their dbt parses with only the vars that shape the parsed
    project (crm_value.refresh_worker), so the key is the input, the folder, the target
    and the environment."""
    key = ("crm-value", str(raw_dir), str(serve), _target(args), env)
    return shared_parse(serve / ".work" / "target", *key)


def run_refresh(
    raw_dir: Path | None,
    serve: Path,
    dbt_vars: dict | None = None,
    *extra: str,
    env: dict[str, str] | None = None,
) -> Refresh:
    """Run `crm-value refresh` as a user would; the work database sits beside `serve`."""
    with crm_value_parse(raw_dir, serve, list(extra), env):
        proc = subprocess.run(
            refresh_args(raw_dir, serve, dbt_vars, *extra),
            cwd=PROJECT_DIR,
            env={**refresh_env(), **(env or {})},
            capture_output=True,
            text=True,
            check=False,
        )
    return Refresh(proc.returncode, proc.stdout + proc.stderr)


def serving_file(serve: Path) -> Path:
    return serve / "current" / "crm_value.duckdb"


def fingerprint(serve: Path) -> dict[str, str]:
    """What a reader of the serving folder sees: where `current` points, and the bytes of
    every published file (the DuckDB file and each Parquet export)."""
    prints = {"current": os.readlink(serve / "current")}
    for path in sorted((serve / "releases").rglob("*")):
        if path.is_file():
            prints[str(path.relative_to(serve))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


def history(serve: Path) -> list[dict]:
    return pq.read_table(serve / "run_history.parquet").to_pylist()


def built_once(tmp_path_factory, worker_id: str, name: str, build: Callable[[Path], None]) -> Path:
    """The folder `name`, filled by `build` once per test session and shared by pytest-xdist's
    workers: the first to ask builds it under a file lock, the others wait and then read it
    (each worker would otherwise build its own). Tests read it or copy it, never change it."""
    base = tmp_path_factory.getbasetemp()
    root = base if worker_id == "master" else base.parent  # the session's, not the worker's
    folder, done = root / name, root / f"{name}.done"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def published(tmp_path_factory, worker_id) -> Path:
    """A serving folder holding one release, refreshed from the clean fixture."""

    def build(root: Path) -> None:
        shutil.copytree(CLEAN, root / "raw")
        run = run_refresh(root / "raw", root / "serve", AS_OF)
        assert run.returncode == 0, run.output[-4000:]

    return built_once(tmp_path_factory, worker_id, "published", build) / "serve"


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory, worker_id) -> DbtRun:
    """`dbt build` of the demo seeds (no vars, no unit tests), to read."""

    def build(work: Path) -> None:
        run = run_dbt(["build"], work)
        assert run.returncode == 0, run.output[-4000:]

    work = built_once(tmp_path_factory, worker_id, "demo_build", build)
    return DbtRun(0, "", work / "warehouse.duckdb")


def split_into_a_folder(raw: Path, entity: str) -> None:
    """The entity's file as a folder of two files, the second with its columns in reverse
    order and its headers upper-cased: the engines must join them by name, as the
    contract matches headers (trimmed, case-folded)."""
    with (raw / f"{entity}.csv").open(newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    (raw / f"{entity}.csv").unlink()
    folder = raw / entity
    folder.mkdir()
    half = len(rows) // 2
    with (folder / "part-1.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows[:half]])
    with (folder / "part-2.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(
            [[h.upper() for h in header[::-1]]] + [r[::-1] for r in rows[half:]]
        )


@pytest.fixture(scope="session")
def generated_raw(tmp_path_factory, worker_id) -> Path:
    """20,000 generated customers (200,000 clean orders and the contract's anomalies) as
    CSV files, the orders a folder of two files whose columns differ in order and case:
    the generated data of the reference check and of the Spark comparison."""

    def build(root: Path) -> None:
        generate(root, "csv", n_customers=20_000, n_orders=200_000, seed=11)
        split_into_a_folder(root, "orders")

    return built_once(tmp_path_factory, worker_id, "generated_raw", build)


@pytest.fixture(scope="session")
def generated_build(tmp_path_factory, worker_id, generated_raw) -> DbtRun:
    """`dbt build` of `generated_raw` (its data tests, no unit tests), to read."""

    def build(work: Path) -> None:
        run = run_dbt(["build"], work, raw_dir=generated_raw)
        assert run.returncode == 0, run.output[-4000:]

    work = built_once(tmp_path_factory, worker_id, "generated_build", build)
    return DbtRun(0, "", work / "warehouse.duckdb")


@pytest.fixture
def copy_of(published, tmp_path) -> tuple[RawFolder, Path]:
    """A raw folder to break and a copy of the published serving folder to refresh into."""
    raw = RawFolder(tmp_path / "raw")
    shutil.copytree(CLEAN, raw.path)
    serve = tmp_path / "serve"
    shutil.copytree(published, serve, symlinks=True, ignore=shutil.ignore_patterns(".work"))
    adopt(serve, raw.path)
    return raw, serve


def adopt(serve: Path, raw_dir: Path, raw_format: str = "csv") -> None:
    """Make a copied serving folder's current release say it was published from
    `raw_dir`: the copy then serves that folder, as if it had always read it."""
    with duckdb.connect(str(serving_file(serve))) as con:
        con.execute("update ops.release set raw_input = ?", [f"{raw_dir.resolve()} ({raw_format})"])


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def dbt_children_of(serve: Path) -> list[str]:
    """Command lines of live dbt processes (the `dbt` program or the refresh's dbt worker)
    working for the refreshes of `serve`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        dbt = any(a.endswith("/dbt") for a in args[:2]) or "crm_value.refresh_worker" in args
        if dbt and str(serve / ".work") in " ".join(args):
            found.append(" ".join(args))
    return found


def signal_mid_build(raw_dir: Path, serve: Path, signum: int) -> Refresh:
    """Start a refresh, send its process (not its dbt child) `signum` once dbt is part-way
    through the build, and return how it ended and everything it printed. The dbt child
    must be seen alive before the signal: a test that then finds none left can fail only
    if `dbt_children_of` recognises the child at all."""
    proc = subprocess.Popen(
        refresh_args(raw_dir, serve, AS_OF),
        cwd=PROJECT_DIR,
        env=refresh_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a terminal's signals reach neither
        # A shell's background job (`pytest &`) ignores SIGINT, and a child inherits
        # that; the refresh must meet Ctrl-C as a terminal sends it.
        preexec_fn=_default_sigint,
    )
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if "OK created sql table model" in line:
            alive = dbt_children_of(serve)
            proc.send_signal(signum)
            break
    seen += proc.stdout.readlines()
    proc.wait(timeout=60)
    assert alive, "no dbt child of the refresh was found mid-build: " + "".join(seen)[-2000:]
    return Refresh(proc.returncode, "".join(seen))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `starts_first` go first. pytest-xdist gives each worker a contiguous
    half of the collection and steals from the end of a worker's queue: a long test near
    the end would start late and run alone while the other worker idles."""
    items.sort(key=lambda item: item.get_closest_marker("starts_first") is None)


def run_backfill(raw_dir: Path | None, serve: Path, *extra: str) -> subprocess.CompletedProcess:
    args = [str(CRM_VALUE), "backfill", "--serve-dir", str(serve)]
    args += ["--warehouse", str(serve.parent / "work.duckdb")]
    if raw_dir is not None:
        args += ["--raw-dir", str(raw_dir)]
    with crm_value_parse(raw_dir, serve, list(extra), None):
        return subprocess.run(
            [*args, *extra],
            cwd=PROJECT_DIR,
            env=refresh_env(),
            capture_output=True,
            text=True,
            check=False,
        )


def query(serve: Path, sql: str, params: list | None = None) -> list[dict]:
    with duckdb.connect(str(serving_file(serve)), read_only=True) as con:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _demo_is_built(serve: Path) -> bool:
    if not serving_file(serve).exists():
        return False
    release = query(serve, "select raw_input from ops.release")[0]["raw_input"]
    dates = query(
        serve, "select count(distinct as_of_date) as n from marts.fct_customer_tier_history"
    )
    return release == "demo seeds" and dates[0]["n"] >= 13


def wait_for_the_test_command_build() -> None:
    """`make test` runs the demo build (`make build`) beside pytest and names, in
    TEST_DEMO_BUILD_MARKER, the path whose `.done` or `.failed` file the build leaves when
    it ends: wait for it. Without the variable there is nothing to wait for."""
    marker = os.environ.get("TEST_DEMO_BUILD_MARKER")
    if not marker:
        return
    done, failed = Path(f"{marker}.done"), Path(f"{marker}.failed")
    deadline = time.monotonic() + 1800
    while not done.exists():
        if failed.exists():
            pytest.fail("the demo build beside pytest (make build) failed: see its output")
        if time.monotonic() > deadline:
            pytest.fail(f"no {done.name} after 30 minutes: the demo build beside pytest hangs")
        time.sleep(1)


@pytest.fixture(scope="session")
def demo_serve(tmp_path_factory) -> Path:
    """The demo serving folder with its 12 backfilled months: the project's own serving/
    when `make build` (which `make test` runs beside pytest) has made it, else a new one."""
    wait_for_the_test_command_build()
    built = PROJECT_DIR / "serving"
    if _demo_is_built(built):
        return built
    serve = tmp_path_factory.mktemp("demo") / "serve"
    run = run_backfill(None, serve, "--last", "12", "--every", "month")
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    return serve
