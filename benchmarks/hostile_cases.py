"""Hostile cases for `crm-value refresh`, run as a new user would run them.

One clean refresh of the small fixture (tests/python/fixtures/clean) is published once
into a baseline serving folder. Each case then works on its own copy of that folder
(and of the fixture), breaks one thing (a file, a path, a var, the environment, a
signal), runs `crm-value refresh` as a subprocess and judges what the user got:

- the exit code and the run's row in `run_history.parquet` (outcome and failed stage);
- for a refresh that did not publish: are the published files byte-identical (where
  `current` points, and the bytes of every file under `releases/`)?
- did the user see a Python traceback (in stdout or stderr)?
- for a refresh that published: does raw rows = accepted + collapsed + rejected hold in
  `audit.crm_row_reconciliation` of the new serving file, and is the raw row count the
  number of rows the case wrote (no row lost or invented)?
- case checks: a value the contract rejects must not be published, a value it accepts
  must be published unchanged.

A line per case, then a table, then the cases that look wrong (FAIL: a changed published
file on a failed or refused refresh, a traceback, something published that should have
been refused, a lost row, a broken reconciliation; WARN: worth a look) with how to
reproduce them, and a summary line. Exit code 1 when any case FAILs, 2 when the baseline
could not be published, else 0.

    python benchmarks/hostile_cases.py [--only REGEX] [--jobs N] [--workdir DIR] [--keep]
                                       [--json PATH] [--list]

About 25 to 35 minutes on two cores; `--only` runs a subset (e.g. `--only 'pq_|hdr_'`).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import fcntl
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

PROJECT_DIR = Path(__file__).resolve().parents[1]
CLEAN = PROJECT_DIR / "tests" / "python" / "fixtures" / "clean"
ENTITIES = ("customers", "orders", "receivables", "service_tickets", "surveys")
CLEAN_ROWS = {"customers": 6, "orders": 10, "receivables": 2, "service_tickets": 2, "surveys": 2}
AS_OF = "{as_of_date: 2025-07-01}"
# One bad row in eleven orders is 9%: let it be rejected and published rather than
# stopping the build at the rejected-share bound, so the row's fate can be read.
LOOSE = "{as_of_date: 2025-07-01, max_rejected_share: 0.5}"
CASE_TIMEOUT = 420
TRACEBACK = "Traceback (most recent call last)"
# A valid extra order of C006, the one clean customer with no order: C006 is valued
# (appears in marts.fct_customer_rfm) exactly when this row is accepted.
ORDER = {
    "order_id": "O900",
    "customer_id": "C006",
    "ordered_at": "2025-06-01 10:00:00",
    "status": "completed",
    "quantity": "1",
    "amount": "100.00",
    "cost": "60.00",
    "channel": "web",
}
# The contract's types (macros/crm/crm_raw_entities.sql), for natively typed Parquet.
TYPED = {
    "customers": {"created_at": "timestamp", "updated_at": "timestamp"},
    "orders": {
        "ordered_at": "timestamp",
        "quantity": "bigint",
        "amount": "decimal(18, 2)",
        "cost": "decimal(18, 2)",
    },
    "receivables": {
        "issued_at": "date",
        "due_at": "date",
        "amount": "decimal(18, 2)",
        "paid_amount": "decimal(18, 2)",
        "paid_at": "date",
    },
    "service_tickets": {
        "opened_at": "timestamp",
        "closed_at": "timestamp",
        "handling_minutes": "decimal(18, 2)",
    },
    "surveys": {
        "responded_at": "timestamp",
        "expectation_score": "bigint",
        "perception_score": "bigint",
        "recommend_score": "bigint",
    },
}


def crm_value_command() -> str:
    beside = Path(sys.executable).with_name("crm-value")
    if beside.exists():
        return str(beside)
    return str(PROJECT_DIR / ".venv" / "bin" / "crm-value")


CRM_VALUE = crm_value_command()


# --------------------------------------------------------------------------- the case


@dataclass
class Ctx:
    """One case's world: its raw folder, serving folder copy, work database, and what
    the refresh is given. Setups change it; checks add findings to it."""

    root: Path
    raw: Path
    serve: Path
    work: Path
    base_work: Path
    fmt: str = "csv"
    vars: str | None = AS_OF
    use_raw_arg: bool = True
    raw_arg: str | None = None
    extra: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=lambda: dict(CLEAN_ROWS))
    adopt: bool = True
    fails: list[str] = field(default_factory=list)
    warns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    runs: list[list[str]] = field(default_factory=list)

    def file(self, entity: str) -> Path:
        return self.raw / f"{entity}.{self.fmt}"

    def read(self, entity: str) -> tuple[list[str], list[list[str]]]:
        with open(self.file(entity), newline="", encoding="utf-8") as handle:
            header, *rows = list(csv.reader(handle))
        return header, rows

    def dicts(self, entity: str) -> list[dict[str, str]]:
        header, rows = self.read(entity)
        return [dict(zip(header, row, strict=True)) for row in rows]

    def write(
        self,
        entity: str,
        header: list[str],
        rows: list[list[str]],
        encoding: str = "utf-8",
        newline: str = "\n",
    ) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=newline).writerows([header, *rows])
        self.file(entity).write_bytes(buffer.getvalue().encode(encoding))

    def write_dicts(self, entity: str, dicts: list[dict[str, str]]) -> None:
        header = list(dicts[0]) if dicts else self.read(entity)[0]
        self.write(entity, header, [[d[c] for c in header] for d in dicts])
        self.rows[entity] = len(dicts)

    def text(self, entity: str) -> str:
        return self.file(entity).read_text(encoding="utf-8")


@dataclass
class Outcome:
    code: int | None
    out: str
    err: str = ""


Setup = Callable[[Ctx], None]


@dataclass
class Case:
    name: str
    what: str
    setup: Setup | None = None
    expect: str = "any"  # publish | refuse | any
    check: Callable[[Ctx, Any], None] | None = None
    driver: Callable[[Ctx], Outcome] | None = None


@dataclass
class Result:
    name: str
    expect: str
    code: int | None = None
    history: str = ""
    same: str = "-"
    traceback: bool = False
    recon: str = "-"
    published: bool = False
    first_line: str = ""
    reason: str = ""
    fails: list[str] = field(default_factory=list)
    warns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    repro: list[str] = field(default_factory=list)
    what: str = ""
    seconds: float = 0.0
    output: str = field(default="", repr=False)

    @property
    def verdict(self) -> str:
        return "FAIL" if self.fails else "WARN" if self.warns else "ok"


# --------------------------------------------------------------------------- helpers


def refresh_env(ctx: Ctx) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "DBT_"))}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    env.update(ctx.env)
    return env


def refresh_cmd(ctx: Ctx) -> list[str]:
    cmd = [CRM_VALUE, "refresh", "--serve-dir", str(ctx.serve), "--warehouse", str(ctx.work)]
    if ctx.use_raw_arg:
        cmd += ["--raw-dir", ctx.raw_arg or str(ctx.raw)]
    if ctx.fmt != "csv":
        cmd += ["--format", ctx.fmt]
    if ctx.vars is not None:
        cmd += ["--vars", ctx.vars]
    return cmd + ctx.extra


def killpg(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_refresh(ctx: Ctx) -> Outcome:
    """`crm-value refresh` as a user runs it, from the case's folder."""
    ctx.runs.append(refresh_cmd(ctx))
    proc = subprocess.Popen(
        refresh_cmd(ctx),
        cwd=ctx.root,
        env=refresh_env(ctx),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=CASE_TIMEOUT)
    except subprocess.TimeoutExpired:
        killpg(proc)
        out, err = proc.communicate()
        return Outcome(None, out, err + f"\n[hostile] timed out after {CASE_TIMEOUT} s")
    return Outcome(proc.returncode, out, err)


def serving_file(serve: Path) -> Path:
    return serve / "current" / "crm_value.duckdb"


def fingerprint(serve: Path) -> dict[str, str]:
    """What a reader of the serving folder sees: where `current` points, and the bytes of
    every file under releases/ (and under current/, when it is a folder, not a link)."""
    link = serve / "current"
    if link.is_symlink():
        prints = {"current": os.readlink(link)}
    else:
        prints = {"current": "<a folder>" if link.is_dir() else "<none>"}
    folders = [serve / "releases"] + ([link] if link.is_dir() and not link.is_symlink() else [])
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                prints[str(path.relative_to(serve))] = digest
    return prints


def history(serve: Path) -> list[dict[str, Any]]:
    try:
        return pq.read_table(serve / "run_history.parquet").to_pylist()
    except Exception:  # missing or damaged: the case says so where it matters
        return []


def adopt(serve: Path, raw_dir: Path, raw_format: str = "csv") -> None:
    """Make the copied serving folder's current release say it was published from
    `raw_dir` (as tests/python/test_refresh.py's adopt does)."""
    with duckdb.connect(str(serving_file(serve))) as con:
        con.execute("update ops.release set raw_input = ?", [f"{raw_dir.resolve()} ({raw_format})"])


def query(serve: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(serving_file(serve)), read_only=True) as con:
        return con.execute(sql).fetchall()


def dbt_survivors(ctx: Ctx) -> list[int]:
    """Processes still running for this case's work folder (a dbt child's --target-path)."""
    marker = str(ctx.serve.resolve() / ".work")
    found = []
    for proc_dir in Path("/proc").iterdir():
        if not proc_dir.name.isdigit() or int(proc_dir.name) == os.getpid():
            continue
        try:
            cmdline = (proc_dir / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(int(proc_dir.name))
    return found


_SAW = [
    re.compile(r"FAILED.*"),
    re.compile(r"INTERRUPTED.*"),
    re.compile(r"crm-value refresh: error: .*"),
    re.compile(r".*another refresh is running.*"),
    re.compile(r"published release .*"),
    re.compile(r".*\b(error|Error)\b.*"),
]


def first_line(text: str) -> str:
    """What the user saw: the first FAILED / error line (with the `- ` problem lines that
    follow it), else the publish line."""
    lines = [line.removeprefix("[refresh] ").strip() for line in text.splitlines()]
    for pattern in _SAW:
        for at, line in enumerate(lines):
            if pattern.match(line):
                more = []
                for follow in lines[at + 1 :]:
                    if not follow.startswith("- "):
                        break
                    more.append(follow)
                return " ".join([line, *more])
    tail = [line for line in lines if line]
    return tail[-1] if tail else ""


# --------------------------------------------------------------------------- setups


def add_order(ctx: Ctx, **change: str) -> None:
    rows = ctx.dicts("orders")
    rows.append({**ORDER, **change})
    ctx.write_dicts("orders", rows)


def set_customer(ctx: Ctx, customer_id: str, **change: str) -> None:
    rows = [
        {**row, **change} if row["customer_id"] == customer_id else row
        for row in ctx.dicts("customers")
    ]
    ctx.write_dicts("customers", rows)


def rename_header(entity: str, old: str, new: str) -> Setup:
    def setup(ctx: Ctx) -> None:
        header, rows = ctx.read(entity)
        ctx.write(entity, [new if name == old else name for name in header], rows)

    return setup


def loose(setup: Setup) -> Setup:
    def wrapped(ctx: Ctx) -> None:
        ctx.vars = LOOSE
        setup(ctx)

    return wrapped


def order_value(**change: str) -> Setup:
    return loose(lambda ctx: add_order(ctx, **change))


def latin1_orders(ctx: Ctx) -> None:
    add_order(ctx, channel="tienda-ñ")
    ctx.file("orders").write_bytes(ctx.text("orders").encode("latin-1"))


def reencode(entity: str, encoding: str) -> Setup:
    def setup(ctx: Ctx) -> None:
        ctx.file(entity).write_bytes(ctx.text(entity).encode(encoding))

    return setup


def redelimit(entity: str, delimiter: str) -> Setup:
    def setup(ctx: Ctx) -> None:
        header, rows = ctx.read(entity)
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows([header, *rows])
        ctx.file(entity).write_text(buffer.getvalue(), encoding="utf-8")

    return setup


def unbalanced_quote(ctx: Ctx) -> None:
    with open(ctx.file("orders"), "a", encoding="utf-8") as handle:
        handle.write('O011,C001,"2025-06-01 10:00:00,completed,1,10.00,5.00,web\n')
    ctx.rows["orders"] += 1


def escaped_quote(ctx: Ctx) -> None:
    set_customer(ctx, "C005", customer_name='Northwind "Trading" Co.')


def bare_quote(ctx: Ctx) -> None:
    text = ctx.text("customers").replace("Northwind Trading Co.", 'Northwind 5" Trading Co.')
    ctx.file("customers").write_text(text, encoding="utf-8")


def nul_in_channel(ctx: Ctx) -> None:
    ctx.vars = LOOSE
    with open(ctx.file("orders"), "a", encoding="utf-8") as handle:
        handle.write("O900,C006,2025-06-01 10:00:00,completed,1,100.00,60.00,we\x00b\n")
    ctx.rows["orders"] += 1


def nul_in_name(ctx: Ctx) -> None:
    ctx.vars = LOOSE
    text = ctx.text("customers").replace("王芳", "王\x00芳")
    ctx.file("customers").write_text(text, encoding="utf-8")


def line_ends(newline: str, entities: tuple[str, ...]) -> Setup:
    def setup(ctx: Ctx) -> None:
        for entity in entities:
            ctx.file(entity).write_text(ctx.text(entity).replace("\n", newline), encoding="utf-8")

    return setup


def huge_field(ctx: Ctx) -> None:
    set_customer(ctx, "C006", customer_name="x" * (3 * 1024 * 1024))


def truncate_csv_mid_line(ctx: Ctx) -> None:
    lines = ctx.text("orders").splitlines(keepends=True)
    cut = sum(len(line) for line in lines[:6]) + len(lines[6]) // 2
    ctx.file("orders").write_text("".join(lines)[:cut], encoding="utf-8")
    ctx.rows["orders"] = 6


def amount_twice(ctx: Ctx) -> None:
    header, rows = ctx.read("orders")
    amount = header.index("amount")
    ctx.write("orders", [*header, "amount"], [[*r, f"{float(r[amount]) * 2:.2f}"] for r in rows])


def short_header(ctx: Ctx) -> None:
    header, rows = ctx.read("orders")
    ctx.write("orders", header[:-1], rows)


def shifted_header(ctx: Ctx) -> None:
    header, rows = ctx.read("orders")
    ctx.write("orders", [*header[1:], header[0]], rows)


def remove_file(entity: str) -> Setup:
    return lambda ctx: ctx.file(entity).unlink()


def directory_instead(ctx: Ctx) -> None:
    ctx.file("orders").unlink()
    ctx.file("orders").mkdir()
    (ctx.file("orders") / "part-0.csv").write_text("order_id\n", encoding="utf-8")


def symlink_loop(ctx: Ctx) -> None:
    ctx.file("receivables").unlink()
    os.symlink("receivables.csv", ctx.file("receivables"))


def empty_file(entity: str) -> Setup:
    def setup(ctx: Ctx) -> None:
        ctx.file(entity).write_bytes(b"")
        ctx.rows[entity] = 0

    return setup


def header_only(entity: str) -> Setup:
    def setup(ctx: Ctx) -> None:
        header, _ = ctx.read(entity)
        ctx.write(entity, header, [])
        ctx.rows[entity] = 0

    return setup


def moved_raw(name: str, sibling: str | None = None) -> Setup:
    """The raw folder renamed to `name`; a `sibling` folder (one a glob or a format of
    `name` would match) holds an export with one more order."""

    def setup(ctx: Ctx) -> None:
        target = ctx.root / name
        ctx.raw.rename(target)
        ctx.raw = target
        if sibling:
            other = ctx.root / sibling
            shutil.copytree(CLEAN, other)
            with open(other / "orders.csv", "a", encoding="utf-8") as handle:
                handle.write("O999,C006,2025-06-01 10:00:00,completed,1,999.00,1.00,web\n")

    return setup


def relative_raw(ctx: Ctx) -> None:
    ctx.raw_arg = "raw"


def empty_raw_env(ctx: Ctx) -> None:
    ctx.use_raw_arg = False
    ctx.env["CRM_RAW_DIR"] = ""


def work_inside_serve(ctx: Ctx) -> None:
    ctx.work = ctx.serve / "work.duckdb"


def work_quoted(ctx: Ctx) -> None:
    ctx.work = ctx.root / "wh 'x'.duckdb"


def work_missing_folder(ctx: Ctx) -> None:
    ctx.work = ctx.root / "no" / "such" / "folder" / "work.duckdb"


def with_vars(text: str) -> Setup:
    def setup(ctx: Ctx) -> None:
        ctx.vars = text

    return setup


def large_drop(ctx: Ctx) -> None:
    """Only C001 and C002 and their rows remain: 2 valued customers where 5 were."""
    keep = {"C001", "C002"}
    for entity in ENTITIES:
        ctx.write_dicts(entity, [r for r in ctx.dicts(entity) if r["customer_id"] in keep])


def demo_onto_files(ctx: Ctx) -> None:
    ctx.use_raw_arg = False


def other_source(ctx: Ctx) -> None:
    ctx.adopt = False  # the copy still says it serves the baseline's raw folder


def damaged_history(ctx: Ctx) -> None:
    path = ctx.serve / "run_history.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def leftovers(ctx: Ctx) -> None:
    releases = ctx.serve / "releases"
    tmp = releases / ".tmp-x"
    tmp.mkdir()
    (tmp / "crm_value.duckdb").write_bytes(b"half a release")
    current = Path(os.path.realpath(ctx.serve / "current"))
    shutil.copytree(current, releases / "29991231T000000Z-deadbeef")


def current_dangling(ctx: Ctx) -> None:
    """The release `current` points at was deleted by hand."""
    shutil.rmtree(os.path.realpath(ctx.serve / "current"))
    ctx.adopt = False


def current_is_folder(ctx: Ctx) -> None:
    """`current` is a folder, not a link (the serving folder restored with `cp -rL`)."""
    adopt(ctx.serve, ctx.raw, ctx.fmt)
    ctx.adopt = False
    release = os.path.realpath(ctx.serve / "current")
    (ctx.serve / "current").unlink()
    shutil.copytree(release, ctx.serve / "current")


def raw_env_spaces(ctx: Ctx) -> None:
    ctx.use_raw_arg = False
    ctx.env["CRM_RAW_DIR"] = f" {ctx.raw} "
    ctx.extra = ["--new-source"]


def raw_dir_is_file(ctx: Ctx) -> None:
    ctx.raw_arg = str(ctx.raw / "orders.csv")
    ctx.extra = ["--new-source"]


def raw_dir_missing(ctx: Ctx) -> None:
    ctx.raw_arg = str(ctx.root / "no_such_export")
    ctx.extra = ["--new-source"]


def exact_duplicates(ctx: Ctx) -> None:
    header, rows = ctx.read("orders")
    ctx.write("orders", header, [*rows, rows[0], rows[1]])
    ctx.rows["orders"] = len(rows) + 2


def trailing_blank_lines(ctx: Ctx) -> None:
    with open(ctx.file("orders"), "a", encoding="utf-8") as handle:
        handle.write("\n\n\n")


# Parquet -----------------------------------------------------------------------------


def to_parquet(typed: bool) -> Callable[[Ctx], None]:
    def setup(ctx: Ctx) -> None:
        con = duckdb.connect()
        try:
            for entity in ENTITIES:
                source = ctx.raw / f"{entity}.csv"
                target = ctx.raw / f"{entity}.parquet"
                columns = [
                    r[0]
                    for r in con.execute(
                        f"describe select * from read_csv('{source}', all_varchar = true)"
                    ).fetchall()
                ]
                casts = TYPED[entity] if typed else {}
                select = ", ".join(
                    f"cast(nullif({c}, '') as {casts[c]}) as {c}" if c in casts else c
                    for c in columns
                )
                con.execute(
                    f"copy (select {select} from read_csv('{source}', all_varchar = true)) "
                    f"to '{target}' (format parquet)"
                )
                source.unlink()
        finally:
            con.close()
        ctx.fmt = "parquet"

    return setup


def parquet_change(typed: bool, **changes: str) -> Setup:
    """Parquet files (typed natively or all text), then `entity.column = sql` changes."""

    def setup(ctx: Ctx) -> None:
        to_parquet(typed)(ctx)
        con = duckdb.connect()
        try:
            for key, sql in changes.items():
                entity, column = key.split("__")
                path = ctx.file(entity)
                temp = path.with_suffix(".new")
                con.execute(
                    f"copy (select * replace ({sql} as {column}) from read_parquet('{path}')) "
                    f"to '{temp}' (format parquet)"
                )
                temp.replace(path)
        finally:
            con.close()

    return setup


def parquet_half(ctx: Ctx) -> None:
    to_parquet(True)(ctx)
    data = ctx.file("orders").read_bytes()
    ctx.file("orders").write_bytes(data[: len(data) // 2])


# --------------------------------------------------------------------------- checks


def o900(accept: bool | None, monetary: str | None = None, last: str | None = None):
    """O900 (C006's only order) is accepted (C006 valued, with this monetary and last
    order date) or rejected (in audit.rejected_orders), as the contract says."""

    def check(ctx: Ctx, res: Result) -> None:
        if not res.published:
            return
        rejected = query(
            ctx.serve, "select reject_reasons from audit.rejected_orders where order_id = 'O900'"
        )
        valued = query(
            ctx.serve,
            "select monetary, last_order_date from marts.fct_customer_rfm "
            "where customer_id = 'C006'",
        )
        got = f"O900 rejected as {rejected[0][0]}" if rejected else "O900 accepted"
        if valued:
            got += f"; C006 monetary {valued[0][0]}, last order {valued[0][1]}"
        res.notes.append(got)
        if accept is False and not rejected:
            res.fails.append(f"a value the contract rejects was published: {got}")
        if accept is True and rejected:
            res.warns.append(f"a value the contract accepts was rejected: {got}")
        if not rejected and monetary is not None and valued and str(valued[0][0]) != monetary:
            res.fails.append(f"published monetary {valued[0][0]}, the file says {monetary}")
        if not rejected and last is not None and valued and str(valued[0][1]) != last:
            res.fails.append(f"published last order date {valued[0][1]}, expected {last}")

    return check


def customer_field(customer_id: str, column: str, expected: str | None):
    def check(ctx: Ctx, res: Result) -> None:
        if not res.published:
            return
        rows = query(
            ctx.serve,
            f"select {column} from marts.dim_customers where customer_id = '{customer_id}'",
        )
        rejected = query(
            ctx.serve,
            "select reject_reasons from audit.rejected_customers "
            f"where customer_id = '{customer_id}'",
        )
        if rejected:
            res.notes.append(f"{customer_id} rejected: {rejected[0][0]}")
            return
        value = rows[0][0] if rows else None
        shown = repr(value) if value is None or len(value) < 60 else f"<{len(value):,} chars>"
        res.notes.append(f"{customer_id}.{column} published as {shown}")
        if expected is not None and value != expected:
            res.fails.append(
                f"{customer_id}.{column} published as {shown}, the file says {expected!r}"
            )

    return check


def all_of(*checks: Callable[[Ctx, Result], None]):
    def check(ctx: Ctx, res: Result) -> None:
        for one in checks:
            one(ctx, res)

    return check


def nothing_rejected(ctx: Ctx, res: Result) -> None:
    if res.published:
        counts = query(ctx.serve, "select entity, rejected_rows from audit.crm_row_reconciliation")
        bad = [f"{e}: {n}" for e, n in counts if n]
        if bad:
            res.fails.append("clean rows were rejected: " + ", ".join(bad))


def c005_monetary(ctx: Ctx, res: Result) -> None:
    if res.published:
        got = query(
            ctx.serve, "select monetary from marts.fct_customer_rfm where customer_id = 'C005'"
        )
        if not got or str(got[0][0]) != "103000.00":
            res.fails.append(f"C005 monetary published as {got}, the files say 103000.00")


def output_says(pattern: str, when: str = "always"):
    """The user's output (stdout and stderr) matches `pattern` (when: always, or only
    when the refresh did not publish)."""

    def check(ctx: Ctx, res: Result) -> None:
        if when == "refused" and res.published:
            return
        if not re.search(pattern, res.output, re.S):
            res.warns.append(f"the output does not say /{pattern}/: {cut(res.reason, 300)}")

    return check


def reason_short(ctx: Ctx, res: Result) -> None:
    if len(res.reason) > 2000:
        res.warns.append(f"the failure reason is {len(res.reason):,} characters long")


def collapsed_orders(n: int):
    def check(ctx: Ctx, res: Result) -> None:
        if res.published:
            got = query(
                ctx.serve,
                "select exact_duplicate_rows from audit.crm_row_reconciliation "
                "where entity = 'orders'",
            )[0][0]
            if got != n:
                res.fails.append(f"orders exact_duplicate_rows {got}, the file holds {n}")

    return check


def leftovers_gone(ctx: Ctx, res: Result) -> None:
    releases = ctx.serve / "releases"
    for name in (".tmp-x", "29991231T000000Z-deadbeef"):
        if (releases / name).exists():
            res.fails.append(f"leftover releases/{name} is still there")
    if os.readlink(ctx.serve / "current").endswith("deadbeef"):
        res.fails.append("current points at the leftover release")


def history_set_aside(ctx: Ctx, res: Result) -> None:
    try:
        rows = pq.read_table(ctx.serve / "run_history.parquet").to_pylist()
        res.notes.append(f"history now {len(rows)} row(s)")
    except Exception as exc:
        res.fails.append(f"run_history.parquet unreadable after the refresh: {exc}")
        return
    if res.published:
        try:
            n = query(ctx.serve, "select count(*) from ops.run_history")[0][0]
            res.notes.append(f"ops.run_history reads {n} row(s)")
        except duckdb.Error as exc:
            res.fails.append(f"ops.run_history fails in the new release: {exc}")
    aside = [p.name for p in ctx.serve.iterdir() if "run_history" in p.name]
    res.notes.append("files: " + ", ".join(sorted(aside)))


# --------------------------------------------------------------------------- drivers


BUILDING = "OK created sql table model"


@dataclass
class Watched:
    """A refresh started in a session of its own, its merged output read line by line by a
    thread that sets `seen` once a line holds the trigger."""

    proc: subprocess.Popen
    lines: list[str]
    seen: threading.Event
    reader: threading.Thread


def start_watched(ctx: Ctx, trigger: str) -> Watched:
    cmd = refresh_cmd(ctx)
    ctx.runs.append(cmd)
    proc = subprocess.Popen(
        cmd,
        cwd=ctx.root,
        env=refresh_env(ctx),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if trigger in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return Watched(proc, lines, seen, reader)


def saw_trigger(watched: Watched) -> bool:
    """Wait for the trigger until the output ends or CASE_TIMEOUT passes."""
    deadline = time.monotonic() + CASE_TIMEOUT
    while not watched.seen.is_set() and watched.reader.is_alive() and time.monotonic() < deadline:
        watched.seen.wait(1)
    return watched.seen.is_set()


def strike(ctx: Ctx, pid: int, how: str) -> None:
    """What `interrupted` does once the trigger shows (its docstring says which is which)."""
    if how == "touch":
        with open(ctx.file("orders"), "a", encoding="utf-8") as handle:
            handle.write("O950,C001,2025-06-02 10:00:00,completed,1,50.00,20.00,web\n")
        ctx.rows["orders"] += 1
    elif how == "term":
        os.kill(pid, signal.SIGTERM)
    elif how == "int":
        os.killpg(pid, signal.SIGINT)
    else:
        os.kill(pid, signal.SIGKILL)


def wait_out(ctx: Ctx, watched: Watched, how: str) -> int:
    """The refresh's exit code, within 90 s of `how` or killed; then, a few seconds on, no
    dbt child of this case may still run (any left is a FAIL, and killed)."""
    proc = watched.proc
    try:
        code = proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        ctx.fails.append(f"the refresh did not end within 90 s of {how}")
        killpg(proc)
        code = proc.wait()
    time.sleep(3)
    survivors = dbt_survivors(ctx)
    if survivors:
        ctx.fails.append(f"dbt child process(es) {survivors} survived {how}")
        for pid in survivors:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    watched.reader.join(30)
    return code


def after_kill9(ctx: Ctx, before: dict[str, str], code: int, out: str) -> Outcome:
    """kill -9: nothing may have changed, the run stays `running`; the next refresh marks
    it crashed and publishes. The outcome is that second refresh's."""
    ctx.notes.append(f"kill -9: exit {code}")
    if fingerprint(ctx.serve) != before:
        ctx.fails.append("the published files changed after kill -9 mid-build")
    last = history(ctx.serve)[-1]
    ctx.notes.append(f"after kill -9 the history says {last['outcome']}")
    if TRACEBACK in out:
        ctx.fails.append("a traceback in the killed run's output")
    second = run_refresh(ctx)
    if "died without finishing" not in second.out:
        ctx.warns.append("the next refresh does not say an earlier one died")
    outcomes = [r["outcome"] for r in history(ctx.serve)]
    ctx.notes.append(f"history outcomes: {outcomes}")
    if "crashed" not in outcomes:
        ctx.fails.append("the killed run is not marked crashed")
    return second


def interrupted(how: str, trigger: str = BUILDING) -> Callable[[Ctx], Outcome]:
    """Start a refresh, wait until its output shows `trigger` (by default: dbt has built a
    model), then `how`: term: SIGTERM to the refresh process; int: SIGINT to its process
    group, as Ctrl-C in a terminal; kill: SIGKILL to the refresh process only, then a
    second refresh; touch: a new order lands in orders.csv (an export arriving)."""

    def driver(ctx: Ctx) -> Outcome:
        before = fingerprint(ctx.serve)
        watched = start_watched(ctx, trigger)
        if not saw_trigger(watched):
            killpg(watched.proc)
            watched.proc.wait()
            return Outcome(None, "".join(watched.lines) + f"\n[hostile] never saw {trigger!r}")
        strike(ctx, watched.proc.pid, how)
        code = wait_out(ctx, watched, how)
        out = "".join(watched.lines)
        if how != "kill":
            return Outcome(code, out)
        return after_kill9(ctx, before, code, out)

    return driver


def with_reader(read_only: bool) -> Callable[[Ctx], Outcome]:
    """A separate process holds the work database open during the refresh."""

    def driver(ctx: Ctx) -> Outcome:
        shutil.copy(ctx.base_work, ctx.work)
        code = (
            "import duckdb, sys, time\n"
            "con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == '1')\n"
            "con.execute('select 1')\n"
            "print('ready', flush=True)\n"
            "time.sleep(900)\n"
        )
        holder = subprocess.Popen(
            [sys.executable, "-c", code, str(ctx.work), "1" if read_only else "0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None
            holder.stdout.readline()
            ctx.notes.append(f"reader PID {holder.pid}")
            return run_refresh(ctx)
        finally:
            holder.kill()
            holder.wait()

    return driver


def with_lock_held(ctx: Ctx) -> Outcome:
    with open(ctx.serve / ".refresh.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle.truncate(0)
        handle.write(f"PID {os.getpid()}, the hostile_cases lock holder\n")
        handle.flush()
        return run_refresh(ctx)


# --------------------------------------------------------------------------- the cases

P, R, A = "publish", "refuse", "any"
CASES = [
    Case("clean_copy", "a copy of the clean fixture (sanity)", None, P, nothing_rejected),
    # encodings
    Case("enc_latin1_orders", "orders.csv in latin-1 (O900 channel 'tienda-ñ')", latin1_orders, R),
    Case("enc_utf16_orders", "orders.csv in UTF-16 with BOM", reencode("orders", "utf-16"), R),
    Case(
        "enc_bom_customers",
        "customers.csv in UTF-8 with a BOM",
        reencode("customers", "utf-8-sig"),
        P,
        all_of(nothing_rejected, customer_field("C001", "customer_name", "张伟")),
    ),
    # delimiters and quotes
    Case(
        "delim_semicolon",
        "orders.csv separated by ';'",
        redelimit("orders", ";"),
        R,
        output_says(r"(?i)delimit|separat|';'|semicolon"),
    ),
    Case("quote_unbalanced", "orders.csv: a row opens a quote never closed", unbalanced_quote, R),
    Case(
        "quote_escaped",
        'customer name Northwind "Trading" Co. (quoted, "" escaped)',
        escaped_quote,
        P,
        customer_field("C005", "customer_name", 'Northwind "Trading" Co.'),
    ),
    Case(
        "quote_bare",
        'customer name Northwind 5" Trading Co. (a bare quote in an unquoted field)',
        bare_quote,
        A,
        customer_field("C005", "customer_name", 'Northwind 5" Trading Co.'),
    ),
    Case(
        "nul_in_channel",
        "O900 channel 'we\\x00b' (a NUL byte), max_rejected_share 0.5",
        nul_in_channel,
        A,
        o900(False),
    ),
    Case(
        "nul_in_name",
        "C006 customer_name '王\\x00芳' (a NUL byte), max_rejected_share 0.5",
        nul_in_name,
        A,
        customer_field("C006", "customer_name", None),
    ),
    # line ends and sizes
    Case(
        "cr_only",
        "orders.csv with CR-only line ends",
        line_ends("\r", ("orders",)),
        A,
        nothing_rejected,
    ),
    Case(
        "crlf_all",
        "every file with CRLF line ends",
        line_ends("\r\n", ENTITIES),
        P,
        all_of(nothing_rejected, c005_monetary),
    ),
    Case(
        "huge_field",
        "C006 customer_name of 3 MiB",
        huge_field,
        A,
        all_of(
            reason_short,
            output_says(r"(?i)line size|too long|longer than", "refused"),
            customer_field("C006", "customer_name", "x" * 3 * 1024 * 1024),
        ),
    ),
    # odd numbers (O900 amount), max_rejected_share 0.5
    Case("num_1e3", "O900 amount '1e3'", order_value(amount="1e3"), A, o900(None, "1000.00")),
    Case("num_1_000", "O900 amount '1_000'", order_value(amount="1_000"), A, o900(False)),
    Case("num_nan", "O900 amount 'NaN'", order_value(amount="NaN"), A, o900(False)),
    Case("num_inf", "O900 amount 'inf'", order_value(amount="inf"), A, o900(False)),
    Case("num_comma", "O900 amount '1,5' (quoted)", order_value(amount="1,5"), A, o900(False)),
    Case(
        "num_huge",
        "O900 amount '99999999999999999999.99'",
        order_value(amount="99999999999999999999.99"),
        A,
        o900(False),
    ),
    Case("num_qty_1.0", "O900 quantity '1.0'", order_value(quantity="1.0"), A, o900(None)),
    # odd timestamps (O900 ordered_at), max_rejected_share 0.5
    Case(
        "ts_0001",
        "O900 ordered_at '0001-01-01'",
        order_value(ordered_at="0001-01-01"),
        A,
        o900(False),
    ),
    Case(
        "ts_9999",
        "O900 ordered_at '9999-12-31 23:59:59'",
        order_value(ordered_at="9999-12-31 23:59:59"),
        A,
        o900(False),
    ),
    Case(
        "ts_feb30",
        "O900 ordered_at '2025-02-30 10:00:00'",
        order_value(ordered_at="2025-02-30 10:00:00"),
        A,
        o900(False),
    ),
    Case(
        "ts_offset_plus8",
        "O900 ordered_at '2025-06-01T23:30:00+08:00'",
        order_value(ordered_at="2025-06-01T23:30:00+08:00"),
        A,
        o900(True, "100.00", "2025-06-01"),
    ),
    Case(
        "ts_offset_minus8",
        "O900 ordered_at '2025-06-30T20:00:00-08:00' (UTC: 2025-07-01, on as_of_date)",
        order_value(ordered_at="2025-06-30T20:00:00-08:00"),
        A,
        o900(True),
    ),
    # Parquet
    Case(
        "pq_text",
        "all five files as Parquet, every column text",
        to_parquet(False),
        P,
        c005_monetary,
    ),
    Case(
        "pq_typed",
        "Parquet with native types (DECIMAL, TIMESTAMP, DATE, BIGINT)",
        to_parquet(True),
        P,
        all_of(c005_monetary, nothing_rejected),
    ),
    Case(
        "pq_amount_float32",
        "typed Parquet, orders.amount FLOAT (32-bit)",
        parquet_change(True, orders__amount="cast(amount as float)"),
        R,
    ),
    Case(
        "pq_amount_double",
        "typed Parquet, orders.amount DOUBLE",
        parquet_change(True, orders__amount="cast(amount as double)"),
        P,
        all_of(c005_monetary, nothing_rejected),
    ),
    Case(
        "pq_id_bigint_vs_text",
        "Parquet: customers.customer_id BIGINT (1..6), orders.customer_id text '00001'",
        parquet_change(
            True,
            customers__customer_id="cast(substr(customer_id, 2) as bigint)",
            orders__customer_id="lpad(substr(customer_id, 2), 5, '0')",
        ),
        R,
    ),
    Case(
        "pq_channel_struct",
        "typed Parquet, orders.channel STRUCT(name VARCHAR)",
        parquet_change(True, orders__channel="struct_pack(name := channel)"),
        R,
    ),
    Case(
        "pq_ordered_at_tz",
        "typed Parquet, orders.ordered_at TIMESTAMPTZ",
        parquet_change(True, orders__ordered_at="cast(ordered_at as timestamptz)"),
        A,
        all_of(c005_monetary, nothing_rejected),
    ),
    Case("pq_truncated", "typed Parquet, orders.parquet cut in half", parquet_half, R),
    Case("csv_truncated", "orders.csv cut in the middle of line 7", truncate_csv_mid_line, R),
    # headers
    Case(
        "hdr_amount_twice",
        "orders.csv with a second column 'amount' (doubled values)",
        amount_twice,
        R,
    ),
    Case(
        "hdr_city_spaces",
        "customers.csv header ' city ' (spaces around)",
        rename_header("customers", "city", " city "),
        P,
        customer_field("C001", "city", "深圳市"),
    ),
    Case(
        "hdr_email_misspelt",
        "customers.csv header 'e-mail' for 'email'",
        rename_header("customers", "email", "e-mail"),
        A,
        output_says("did you mean 'email'"),
    ),
    Case(
        "hdr_upper",
        "orders.csv header 'AMOUNT'",
        rename_header("orders", "amount", "AMOUNT"),
        P,
        c005_monetary,
    ),
    Case("hdr_short", "orders.csv header lacks 'channel', rows keep 8 fields", short_header, R),
    Case("hdr_shifted", "orders.csv header names rotated by one", shifted_header, R),
    # files
    Case("file_missing", "surveys.csv missing", remove_file("surveys"), R),
    Case("file_directory", "orders.csv is a directory", directory_instead, R),
    Case("file_symlink_loop", "receivables.csv is a symlink to itself", symlink_loop, R),
    Case(
        "file_empty_customers",
        "customers.csv is 0 bytes",
        empty_file("customers"),
        R,
        output_says(r"(?i)empty|0 bytes|no header"),
    ),
    Case(
        "file_empty_surveys",
        "surveys.csv is 0 bytes",
        empty_file("surveys"),
        R,
        output_says(r"(?i)empty|0 bytes|no header"),
    ),
    Case("file_header_only_orders", "orders.csv holds only its header", header_only("orders"), R),
    Case(
        "file_header_only_surveys",
        "surveys.csv holds only its header (allowed)",
        header_only("surveys"),
        P,
    ),
    # paths
    Case("path_spaces", "raw folder 'raw with spaces'", moved_raw("raw with spaces"), P),
    Case("path_quote", "raw folder \"raw 'q'\"", moved_raw("raw 'q'"), P),
    Case("path_star", "raw folder 'raw*' beside 'raw_other'", moved_raw("raw*", "raw_other"), P),
    Case("path_bracket", "raw folder 'raw[1]' beside 'raw1'", moved_raw("raw[1]", "raw1"), P),
    Case("path_brace_date", "raw folder 'raw_{date}'", moved_raw("raw_{date}"), P),
    Case(
        "path_brace_name",
        "raw folder 'raw_{name}' beside 'raw_orders'",
        moved_raw("raw_{name}", "raw_orders"),
        P,
    ),
    Case("path_unicode", "raw folder '原始 数据 é'", moved_raw("原始 数据 é"), P),
    Case("path_relative", "--raw-dir raw, relative to the working folder", relative_raw, P),
    # environment and arguments
    Case("env_empty_raw_dir", "CRM_RAW_DIR='' and no --raw-dir", empty_raw_env, R),
    Case("wh_inside_serve", "--warehouse <serve>/work.duckdb", work_inside_serve, R),
    Case("wh_quoted", "--warehouse \"wh 'x'.duckdb\"", work_quoted, R),
    Case(
        "wh_missing_folder", "--warehouse in a folder that does not exist", work_missing_folder, A
    ),
    # vars
    Case(
        "vars_unknown",
        "--vars '{max_rejected_shar: 0.5}'",
        with_vars("{max_rejected_shar: 0.5}"),
        R,
        output_says("did you mean 'max_rejected_share'"),
    ),
    Case("vars_not_yaml", "--vars '{as_of_date: [2025'", with_vars("{as_of_date: [2025"), R),
    Case(
        "vars_tab", "--vars '{as_of_date:\\t2025-07-01}'", with_vars("{as_of_date:\t2025-07-01}"), A
    ),
    Case(
        "vars_future", "--vars '{as_of_date: 2030-01-01}'", with_vars("{as_of_date: 2030-01-01}"), R
    ),
    Case(
        "vars_before_data",
        "--vars '{as_of_date: 2020-01-01}'",
        with_vars("{as_of_date: 2020-01-01}"),
        R,
    ),
    # the serving folder
    Case(
        "drop_customers", "only C001, C002 and their rows (5 valued customers -> 2)", large_drop, R
    ),
    Case(
        "demo_onto_files",
        "no --raw-dir, no CRM_RAW_DIR: the demo onto a folder serving files",
        demo_onto_files,
        R,
    ),
    Case(
        "other_source",
        "a different raw folder than the one the release was published from",
        other_source,
        R,
    ),
    Case(
        "history_damaged", "run_history.parquet cut in half", damaged_history, P, history_set_aside
    ),
    Case(
        "leftovers",
        "releases/.tmp-x and an unreferenced newer release folder",
        leftovers,
        P,
        leftovers_gone,
    ),
    Case("lock_held", "another process holds .refresh.lock", None, R, driver=with_lock_held),
    Case(
        "reader_rw",
        "a python process holds the work database open (read-write)",
        None,
        R,
        driver=with_reader(False),
    ),
    Case(
        "reader_ro",
        "a python process holds the work database open (read-only)",
        None,
        R,
        driver=with_reader(True),
    ),
    Case("sigterm", "SIGTERM to the refresh during the build", None, R, driver=interrupted("term")),
    Case(
        "sigint",
        "SIGINT to the process group (Ctrl-C) during the build",
        None,
        R,
        driver=interrupted("int"),
    ),
    Case(
        "sigterm_door",
        "SIGTERM to the refresh while the expectations run",
        None,
        R,
        driver=interrupted("term", "1/4 expectations at the door"),
    ),
    Case(
        "sigterm_publish",
        "SIGTERM to the refresh as it starts to publish",
        None,
        A,
        driver=interrupted("term", "4/4 publish"),
    ),
    Case(
        "raw_changes_mid_build",
        "an order is appended to orders.csv while dbt builds",
        None,
        R,
        driver=interrupted("touch"),
    ),
    Case(
        "current_dangling",
        "the release `current` points at was deleted",
        current_dangling,
        P,
    ),
    Case(
        "current_is_folder",
        "`current` is a copy of the release folder, not a link (restored with cp -rL)",
        current_is_folder,
        A,
    ),
    Case(
        "env_raw_dir_spaces",
        "CRM_RAW_DIR=' <raw> ' (spaces around), --new-source",
        raw_env_spaces,
        A,
    ),
    Case("raw_dir_is_file", "--raw-dir <raw>/orders.csv, --new-source", raw_dir_is_file, R),
    Case(
        "raw_dir_missing",
        "--raw-dir a folder that does not exist, --new-source",
        raw_dir_missing,
        R,
        output_says(r"(?i)folder|director"),
    ),
    Case(
        "dup_rows",
        "orders.csv repeats O001 and O002 verbatim",
        exact_duplicates,
        P,
        collapsed_orders(2),
    ),
    Case("trailing_blank_lines", "orders.csv ends with three blank lines", trailing_blank_lines, P),
    Case(
        "kill9",
        "kill -9 of the refresh during the build, then a second refresh",
        None,
        P,
        driver=interrupted("kill"),
    ),
]


# --------------------------------------------------------------------------- running


@dataclass
class Baseline:
    serve: Path
    work: Path


def publish_baseline(root: Path) -> Baseline:
    raw = root / "baseline" / "raw"
    shutil.copytree(CLEAN, raw)
    serve = root / "baseline" / "serve"
    ctx = Ctx(raw.parent, raw, serve, root / "baseline" / "work.duckdb", Path())
    outcome = run_refresh(ctx)
    if outcome.code != 0:
        sys.stdout.write(outcome.out[-4000:] + outcome.err[-4000:])
        print("the baseline refresh of the clean fixture failed", file=sys.stderr)
        raise SystemExit(2)
    return Baseline(serve, ctx.work)


def recon_check(ctx: Ctx, res: Result) -> None:
    rows = query(
        ctx.serve,
        "select entity, raw_rows, accepted_rows, collapsed_rows, rejected_rows "
        "from audit.crm_row_reconciliation order by entity",
    )
    bad = []
    for entity, raw, accepted, collapsed, rejected in rows:
        if raw != accepted + collapsed + rejected:
            bad.append(f"{entity}: {raw} != {accepted} + {collapsed} + {rejected}")
        if raw != ctx.rows.get(entity):
            bad.append(f"{entity}: {raw} raw rows read, the file holds {ctx.rows.get(entity)}")
    if len(rows) != len(ENTITIES):
        bad.append(f"reconciliation has {len(rows)} entities")
    res.recon = "BAD" if bad else "ok"
    res.fails.extend(f"rows: {line}" for line in bad)


# A run's row in run_history.parquet; None when the case's refresh recorded none.
Row = dict[str, Any] | None


def prepare(case: Case, base: Baseline, root: Path) -> Ctx:
    """The case's world: its own copy of the clean fixture and of the baseline serving
    folder (without its work folder), broken by the case's setup."""
    croot = root / "cases" / case.name
    croot.mkdir(parents=True)
    raw = croot / "raw"
    shutil.copytree(CLEAN, raw)
    serve = croot / "serve"
    shutil.copytree(base.serve, serve, symlinks=True, ignore=shutil.ignore_patterns(".work"))
    ctx = Ctx(croot, raw, serve, croot / "work.duckdb", base.work)
    if case.setup:
        case.setup(ctx)
    if ctx.adopt:
        adopt(serve, ctx.raw, ctx.fmt)
    return ctx


def record(ctx: Ctx, res: Result, outcome: Outcome, before_ids: set[str]) -> Row:
    """What the user saw and the history row of the case's last new run (None: no new
    run was recorded), the case's folder written $CASE."""
    res.code = outcome.code
    text = outcome.out + "\n" + outcome.err
    res.traceback = TRACEBACK in text
    res.output = text.replace(str(ctx.root), "$CASE")  # a case's name must not match a check
    res.first_line = first_line(text).replace(str(ctx.root), "$CASE")
    new = [r for r in history(ctx.serve) if r["run_id"] not in before_ids]
    last = new[-1] if new else None
    if last:
        res.history = last["outcome"] + (f":{last['failed_stage']}" if last["failed_stage"] else "")
        res.reason = (last["failure_reason"] or "").replace(str(ctx.root), "$CASE")
    else:
        res.history = "no run recorded"
    res.reason = res.reason or res.first_line
    return last


def judge_files(res: Result, before: dict[str, str], after: dict[str, str], last: Row) -> None:
    """Published or not; a refused refresh must leave every published file as it was."""
    res.published = after["current"] != before["current"]
    if res.code != 0 and not (last and last["outcome"] == "passed"):
        res.same = "yes" if after == before else "NO"
        if after != before:
            changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            res.fails.append(f"published files changed on a refused refresh: {changed[:4]}")


def judge_exit(case: Case, res: Result, last: Row) -> None:
    """The exit code against what the case expects, what was published and the history."""
    if res.traceback:
        res.fails.append("the user saw a Python traceback")
    if res.code is None:
        res.fails.append("timed out")
    if case.expect == R and (res.published or res.code == 0):
        res.fails.append("published what it should have refused")
    if case.expect == P and not res.published:
        res.warns.append(f"refused an input the README accepts: {res.reason[:300]}")
    if res.code == 0 and not res.published:
        res.fails.append("exit 0 but nothing was published")
    if last and (res.code == 0) != (last["outcome"] == "passed") and res.code is not None:
        message = f"exit {res.code} but the history says {last['outcome']}"
        (res.fails if res.code in (0, 1) else res.warns).append(message)
    if res.code == 1 and not last:
        res.fails.append("exit 1 but no run was recorded")


def judge_reason(res: Result, last: Row) -> None:
    """A failed run says why, in plain text, and is closed in the history."""
    if last and last["outcome"] != "passed" and last["ended_at"] is None:
        res.warns.append("the failed run has no ended_at")
    if res.code != 0 and not res.first_line:
        res.warns.append("the user saw no reason")
    if "\x1b[" in res.reason or "\x1b[" in res.first_line:
        res.warns.append("terminal colour codes in the message / recorded failure_reason")
    if last and last["failed_stage"] == "vars" and "var" not in res.reason.lower():
        res.warns.append(
            "recorded as failed_stage 'vars' for a reason that is not about a var: "
            + cut(res.reason, 200)
        )


def judge_leftovers(ctx: Ctx, res: Result) -> None:
    """No half-published release, no `current` link being switched, no raw folder alias."""
    leftover = [p.name for p in (ctx.serve / "releases").glob(".tmp-*")]
    leftover += [p.name for p in ctx.serve.glob(".current.*.tmp")]
    if leftover:
        res.fails.append(f"leftovers after the run: {leftover}")
    for alias in Path(tempfile.gettempdir()).glob("crm-raw-*/raw"):
        with contextlib.suppress(OSError):
            if Path(os.readlink(alias)) == ctx.raw.resolve():
                res.warns.append(f"the alias {alias} to the raw folder was left behind")


def gather(case: Case, ctx: Ctx, res: Result) -> None:
    """The setup's and the driver's findings first, then how to reproduce the case."""
    res.fails[:0] = ctx.fails
    res.warns[:0] = ctx.warns
    res.notes[:0] = ctx.notes
    res.repro = [
        f"setup: {case.what}",
        *(f"run: (cd {shlex.quote(str(ctx.root))} && {shlex.join(cmd)})" for cmd in ctx.runs),
    ]
    if ctx.env:
        res.repro.append("env: " + " ".join(f"{k}={shlex.quote(v)}" for k, v in ctx.env.items()))


def run_case(case: Case, base: Baseline, root: Path) -> Result:
    started = time.perf_counter()
    ctx = prepare(case, base, root)
    res = Result(case.name, case.expect, what=case.what)
    before = fingerprint(ctx.serve)
    before_ids = {r["run_id"] for r in history(ctx.serve)}
    outcome = (case.driver or run_refresh)(ctx)
    last = record(ctx, res, outcome, before_ids)
    judge_files(res, before, fingerprint(ctx.serve), last)
    judge_exit(case, res, last)
    judge_reason(res, last)
    if res.published:
        recon_check(ctx, res)
    judge_leftovers(ctx, res)
    if case.check:
        try:
            case.check(ctx, res)
        except Exception as exc:  # a check that cannot read what it needs says so
            res.warns.append(f"check failed: {type(exc).__name__}: {exc}")
    gather(case, ctx, res)
    res.seconds = time.perf_counter() - started
    return res


def cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def print_table(results: list[Result]) -> None:
    head = f"{'case':<26} {'exp':<7} {'rc':>4} {'history':<22} {'same':<4} {'tb':<3} "
    head += f"{'recon':<5} {'verdict':<7} what the user saw"
    print(head)
    print("-" * len(head))
    for r in results:
        print(
            f"{r.name:<26} {r.expect:<7} {r.code if r.code is not None else 'T/O':>4} "
            f"{cut(r.history, 22):<22} {r.same:<4} {'Y' if r.traceback else '-':<3} "
            f"{r.recon:<5} {r.verdict:<7} {cut(r.first_line, 110)}"
        )


def print_findings(results: list[Result]) -> None:
    """The FAIL and WARN cases ($CASE in a message is the case's folder)."""
    flagged = [r for r in results if r.fails or r.warns]
    if not flagged:
        return
    print("\nCases that look wrong:")
    for r in flagged:
        print(f"\n[{r.verdict}] {r.name} (exit {r.code}, {r.history})")
        for line in r.fails:
            print(f"  FAIL: {line}")
        for line in r.warns:
            print(f"  WARN: {line}")
        for line in r.notes:
            print(f"  note: {line}")
        print(f"  saw:  {cut(r.first_line, 400)}")
        for line in r.repro:
            print(f"  {line}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the cases whose name matches this regex")
    parser.add_argument("--jobs", type=int, default=1, help="cases run at once (default 1)")
    parser.add_argument("--workdir", type=Path, help="folder for the cases (default: a temp)")
    parser.add_argument("--keep", action="store_true", help="keep the case folders")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    return parser.parse_args(argv)


def run_one(case: Case, base: Baseline, root: Path) -> Result:
    """One case, its progress line printed as it ends; a harness failure is a WARN."""
    try:
        res = run_case(case, base, root)
    except Exception as exc:  # the harness itself failed on this case
        res = Result(case.name, case.expect, what=case.what, history="harness error")
        res.warns.append(f"harness error: {type(exc).__name__}: {exc}")
    print(
        f"[hostile] {res.name:<26} exit {res.code} {res.history:<22} {res.verdict:<4} "
        f"{res.seconds:5.1f} s  {cut(res.first_line, 90)}",
        flush=True,
    )
    return res


def run_all(cases: list[Case], root: Path, jobs: int, started: float) -> list[Result]:
    """The baseline, then the cases, `jobs` at once; the results in the cases' order."""
    base = publish_baseline(root)
    print(f"[hostile] baseline published in {time.perf_counter() - started:.0f} s", flush=True)
    results: dict[str, Result] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for res in pool.map(lambda case: run_one(case, base, root), cases):
            results[res.name] = res
    return [results[c.name] for c in cases]


def write_json(path: Path, results: list[Result]) -> None:
    path.write_text(
        json.dumps(
            [{k: v for k, v in r.__dict__.items() if k != "output"} for r in results],
            indent=1,
            default=str,
        ),
        encoding="utf-8",
    )


def print_summary(results: list[Result], minutes: float) -> None:
    fails = [r.name for r in results if r.fails]
    warns = [r.name for r in results if r.warns and not r.fails]
    print(
        f"\nSUMMARY: {len(results)} cases in {minutes:.1f} min: "
        f"{len(results) - len(fails) - len(warns)} ok, {len(warns)} warn, {len(fails)} FAIL"
        + (f" ({', '.join(fails)})" if fails else "")
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cases = [c for c in CASES if not args.only or re.search(args.only, c.name)]
    if args.list:
        for case in cases:
            print(f"{case.name:<26} {case.expect:<7} {case.what}")
        return 0
    root = args.workdir or Path(tempfile.mkdtemp(prefix="hostile-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"[hostile] {len(cases)} cases in {root}; publishing the baseline", flush=True)
    started = time.perf_counter()
    try:
        ordered = run_all(cases, root, args.jobs, started)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print()
    print_table(ordered)
    print_findings(ordered)
    if args.json:
        write_json(args.json, ordered)
    print_summary(ordered, (time.perf_counter() - started) / 60)
    return 1 if any(r.fails for r in ordered) else 0


if __name__ == "__main__":
    sys.exit(main())
