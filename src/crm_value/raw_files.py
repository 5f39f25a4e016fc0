"""The raw-file checks, written once: what makes a raw file unusable, and what deserves a
warning. dbt runs them before any model (the macro `crm_check_raw_files`, through the
project's dbt-duckdb plugin) and the refresh's door runs them before its expectations.

`inspect_files` takes every entity's file at once, so a rule across files (the customer
ids of orders typed unlike those of customers) lives here too. It never raises: it
returns the problems (each naming the file and the column), the warnings, and per file
its row count and the contract columns it holds, by the header each was read from.

Paths are taken literally. Nothing here expands a pattern: a folder named `export[1]` or
`raw_{date}` is that folder and no other.
"""

from __future__ import annotations

import csv
import difflib
import errno
import os
import re
from typing import Any

import duckdb

_MAX_PART_CHARS = 160
# DuckDB's CSV reader refuses a line longer than this (its max_line_size default).
MAX_LINE_BYTES = 2_000_000
_NESTED_TYPE = re.compile(r"^(STRUCT|MAP|UNION)\b|\[\d*\]$")
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT"}
_INTEGER_TYPES |= {"USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
# Types that cannot hold money to the cent: a 32-bit float (16777217.03 reads 16777218).
_INEXACT_MONEY_TYPES = {"FLOAT", "REAL", "FLOAT4"}


def _short(text: str) -> str:
    """One line of an engine's message, with any long run of characters (a 3 MiB field
    quoted back) cut, so the reason around it survives."""
    text = " ".join(text.split())

    def cut(match: re.Match[str]) -> str:
        value = match.group(0)
        return f"{value[:40]}...({len(value):,} characters)"

    return re.sub(r"\S{" + str(_MAX_PART_CHARS) + ",}", cut, text)


_ENGINE_REASONS = re.compile(
    r"^(Maximum line size|Expected Number of Columns|Value with unterminated quote|"
    r"Invalid unicode|It was not possible|Could not convert|.*\bError\b)"
)


def _engine_reason(message: str) -> str:
    """The lines of a DuckDB error that say what went wrong, without the rows it quotes
    back (a field of megabytes) and the generic list of fixes."""
    keep = [
        _short(line.strip())
        for line in message.splitlines()
        if _ENGINE_REASONS.match(line.strip()) and not line.strip().startswith("Original Line")
    ]
    return " ".join(keep[:3])[:600]


def csv_diagnosis(path: str) -> str | None:
    """Where and why a CSV file breaks the contract (UTF-8, a BOM allowed, comma, double
    quotes), in words, or None when this reader finds nothing: a line that is not UTF-8,
    a record with more or fewer fields than the header, a quote that is never closed.
    Line numbers are physical lines of the file, the first being the header."""
    start = 1
    csv.field_size_limit(2**31 - 1)  # the line limit below decides, not csv's 128 KiB
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=",", quotechar='"', strict=True)
            header: list[str] | None = None
            for fields in reader:
                size = sum(len(field) for field in fields) + len(fields)
                if size > MAX_LINE_BYTES:
                    return (
                        f"line {start:,} holds about {size:,} characters, more than the "
                        f"{MAX_LINE_BYTES:,} bytes a CSV line may hold"
                    )
                if header is None:
                    header = fields
                elif fields and len(fields) != len(header):
                    return (
                        f"line {start:,} has {len(fields)} fields where the header (line 1) "
                        f"has {len(header)}"
                    )
                start = reader.line_num + 1
    except UnicodeDecodeError as exc:
        return f"it is not UTF-8: byte 0x{exc.object[exc.start]:02x} cannot be decoded"
    except csv.Error as exc:
        if "end of data" in str(exc) or "EOF" in str(exc):
            return f"the quote opened on line {start:,} is never closed"
        return f"line {start:,} is not valid CSV ({exc})"
    return None


def csv_header(path: str) -> list[str]:
    """The header row of a CSV file, as written (empty for an empty file)."""
    csv.field_size_limit(2**31 - 1)
    with open(path, encoding="utf-8-sig", newline="", errors="replace") as handle:
        for fields in csv.reader(handle, delimiter=",", quotechar='"'):
            return fields
    return []


def _parquet_header(path: str) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def _header(path: str, file_format: str) -> list[str]:
    """The header as written (a CSV's first row, a Parquet schema's names); empty when it
    cannot be read, for DuckDB's reader then names the damage."""
    try:
        return csv_header(path) if file_format == "csv" else _parquet_header(path)
    except Exception:
        return []


def _delimiter_problem(header: list[str], file_format: str) -> str | None:
    """A CSV header that reads as one column split by another delimiter (`;`, a tab,
    `|`): every column would be reported missing, so this is said instead."""
    if file_format != "csv" or len(header) != 1:
        return None
    other = next((d for d in (";", "\t", "|") if d in header[0]), None)
    if other is None:
        return None
    return (
        f"is not comma-separated: its header reads as one column, {header[0][:80]!r}, "
        f"split by {other!r}; the contract wants ',' between columns"
    )


def _duplicate_problems(header: list[str]) -> list[str]:
    """A column named twice (trimmed and case-folded), which DuckDB would rename
    (`amount_1`) and read past, silently."""
    problems = []
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if _key(name) in seen:
            problems.append(
                f"has column '{name.strip()}' twice (columns {seen[_key(name)]} and "
                f"{position}, compared trimmed and case-folded): which one holds the data "
                "is ambiguous"
            )
        else:
            seen[_key(name)] = position
    return problems


def _file_state(path: str) -> str | None:
    """Why `path` is not a readable regular file, or None when it is."""
    try:
        if os.path.isdir(path):
            return "is a directory, not a file"
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link that loops (it never reaches a file)"
        if exc.errno == errno.ENOENT:
            if os.path.islink(path):
                return f"is a symbolic link to {os.readlink(path)!r}, which does not exist"
            return "is missing"
        return f"cannot be opened: {exc.strerror}"
    if not os.path.isfile(path):
        return "is not a regular file"
    if not os.access(path, os.R_OK):
        return "cannot be opened: permission denied"
    return None


def _key(name: str) -> str:
    """How a header is matched to the contract: trimmed and case-folded."""
    return name.strip().casefold()


def _loose(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", _key(name))


def _unusable_before_reading(path: str, file_format: str) -> tuple[str | None, list[str]]:
    """Why the file cannot be read at all, judged before DuckDB sees it (its state, its
    size, its delimiter), and its header; the header is read once, here, for the checks
    that follow."""
    state = _file_state(path)
    if state is not None:
        return state, []
    if os.path.getsize(path) == 0:
        return (
            "is empty (0 bytes): not even a header row; a file without rows still needs its header",
            [],
        )
    header = _header(path, file_format)
    return _delimiter_problem(header, file_format), header


def _describe(reader: str, path: str, file_format: str) -> tuple[list[tuple], int] | str:
    """The columns DuckDB reads (name, type, ...) and the row count, or why the file cannot
    be read: a CSV's own diagnosis (where and why it breaks the contract) before DuckDB's
    reason, which names a symptom more often than the cause."""
    con = duckdb.connect()
    try:
        described = con.execute(f"describe select * from {reader}").fetchall()
        counted = con.execute(f"select count(*) from {reader}").fetchall()
    except duckdb.Error as exc:
        reason = csv_diagnosis(path) if file_format == "csv" else None
        engine = _engine_reason(str(exc))
        because = f"{reason} (DuckDB: {engine})" if reason else engine
        return f"cannot be read: {because}"
    finally:
        con.close()
    return described, int(counted[0][0])


def _check_contract_columns(
    verdict: dict[str, Any], found: dict[str, tuple[str, str]], contract: dict[str, Any]
) -> None:
    """Record in `verdict` each contract column the file holds (its header and type) and the
    problems: a required column missing, a nested type, money in a 32-bit float."""
    for name, column in contract.items():
        if name not in found:
            if column["required"]:
                verdict["problems"].append(f"lacks required column '{name}'")
            continue
        header_name, col_type = found[name]
        verdict["columns"][name] = header_name
        verdict["types"][name] = col_type
        if _NESTED_TYPE.search(col_type):
            verdict["problems"].append(
                f"column '{name}' is {col_type}: a nested value has no single text form; "
                "export it flat (text, number or timestamp)"
            )
        elif column["type"] == "decimal" and col_type in _INEXACT_MONEY_TYPES:
            verdict["problems"].append(
                f"column '{name}' is {col_type} (a 32-bit float): it cannot hold amounts to "
                "the cent (16777217.03 reads 16777218); export it as DECIMAL, DOUBLE or text"
            )


def _misnamed_warnings(found: dict[str, tuple[str, str]], contract: dict[str, Any]) -> list[str]:
    """A warning for each header that is no contract column but looks like a missing
    optional one: the file still loads, with that column null, so only a warning tells."""
    warnings = []
    missing = [n for n, c in contract.items() if not c["required"] and n not in found]
    for key, (header_name, _) in found.items():
        if key in contract:
            continue
        close = [n for n in missing if _loose(n) == _loose(key)]
        close = close or difflib.get_close_matches(key, missing, n=1, cutoff=0.75)
        if close:
            warnings.append(
                f"has column '{header_name}' but no '{close[0]}': '{header_name}' is not a "
                f"contract column and is ignored, so {close[0]} reads as null; did you "
                f"mean '{close[0]}'?"
            )
    return warnings


def _inspect_one(
    entity: str, path: str, reader: str, spec: dict[str, Any], file_format: str, whole: bool = True
) -> dict:
    """One file's verdict: {problems, warnings, rows, columns: {contract name: header},
    types: {contract name: type}}."""
    verdict: dict[str, Any] = {"problems": [], "warnings": [], "rows": 0, "columns": {}}
    verdict["types"] = {}
    unusable, header = _unusable_before_reading(path, file_format)
    if unusable:
        verdict["problems"].append(unusable)
        return verdict
    verdict["problems"].extend(_duplicate_problems(header))
    read = _describe(reader, path, file_format)
    if isinstance(read, str):
        verdict["problems"].append(read)
        return verdict
    described, verdict["rows"] = read
    found = {_key(name): (name, str(col_type).upper()) for name, col_type, *_ in described}
    contract = {column["name"]: column for column in spec["columns"]}
    _check_contract_columns(verdict, found, contract)
    if whole and spec["requires_rows"] and verdict["rows"] == 0:
        verdict["problems"].append(f"holds no rows; {entity} must not be empty")
    verdict["warnings"].extend(_misnamed_warnings(found, contract))
    return verdict


def _type_family(col_type: str) -> str:
    if col_type in _INTEGER_TYPES or col_type.startswith("DECIMAL"):
        return "number"
    return "text" if col_type in {"VARCHAR", "TEXT", "STRING"} else col_type


def _inspect_entity(
    entity: str, item: dict[str, Any], file_format: str, problems: list[str], warnings: list[str]
) -> dict[str, Any]:
    """Check every file of one entity (one file, or a folder's files in `item["files"]`,
    each {path, reader, label}); the entity's rows are the sum of its files' (`file_rows`:
    each file's, by label). Every file of an entity must type a contract column alike: the
    batches are stored in one table."""
    folder = item.get("layout") == "folder"
    parts = item.get("files") or [item]
    if folder and not item.get("files") and item.get("skipped"):
        # Every file of the folder was judged before (the door's ledger): nothing to read.
        return {"rows": 0, "columns": {}, "types": {}, "file_rows": {}}
    if folder and not item.get("files"):
        problems.append(
            f"raw folder {item.get('label') or item['path']} (entity {entity}) holds no "
            f"*.{file_format} file"
        )
        return {"rows": 0, "columns": {}, "types": {}, "file_rows": {}}
    found: dict[str, Any] = {"rows": 0, "columns": {}, "types": {}, "file_rows": {}}
    first: dict[str, str] = {}
    for part in parts:
        verdict = _inspect_one(
            entity, part["path"], part["reader"], item["spec"], file_format, whole=not folder
        )
        shown = part.get("label") or part["path"]
        label = f"raw file {shown} (entity {entity})"
        problems.extend(f"{label} {problem}" for problem in verdict["problems"])
        warnings.extend(f"{label} {warning}" for warning in verdict["warnings"])
        found["rows"] += verdict["rows"]
        found["file_rows"][shown] = verdict["rows"]
        for name, col_type in verdict["types"].items():
            if name not in found["types"]:
                found["types"][name] = col_type
                found["columns"][name] = verdict["columns"][name]
                first[name] = shown
            elif _type_family(col_type) != _type_family(found["types"][name]):
                problems.append(
                    f"{label} column '{name}' is {col_type} where {first[name]} holds "
                    f"{found['types'][name]}: every file of an entity must type a column alike"
                )
    # A folder's new increments may all be header-only (a day without orders); the whole
    # folder must not be, which only a check of every file (the refresh's door) can say.
    if folder and item.get("complete") and item["spec"]["requires_rows"] and not found["rows"]:
        problems.append(
            f"raw folder {item.get('label') or item['path']} (entity {entity}) holds no rows; "
            f"{entity} must not be empty"
        )
    return found


def inspect_files(request: dict[str, dict[str, Any]], file_format: str) -> dict[str, Any]:
    """Check every entity's raw file: `request` maps an entity to {path, reader, spec,
    label}; `label` is the path to name in messages. Returns {problems, warnings, files}."""
    problems: list[str] = []
    warnings: list[str] = []
    files: dict[str, Any] = {}
    folders = {os.path.dirname(item.get("label") or item["path"]) for item in request.values()}
    readable = {os.path.dirname(item["path"]) for item in request.values()}
    if len(folders) == 1 and not any(os.path.isdir(folder) for folder in readable):
        empty = {"rows": 0, "columns": {}, "types": {}, "file_rows": {}}
        return {
            "problems": [f"raw folder {folders.pop()} does not exist (or is not a folder)"],
            "warnings": [],
            "files": {entity: dict(empty) for entity in request},
        }
    for entity, item in request.items():
        files[entity] = _inspect_entity(entity, item, file_format, problems, warnings)
    id_types = {
        entity: files[entity]["types"]["customer_id"]
        for entity in request
        if "customer_id" in files[entity]["types"]
    }
    reference = id_types.get("customers")
    for entity, col_type in id_types.items():
        if reference and _type_family(col_type) != _type_family(reference):
            label = f"raw file {request[entity].get('label') or request[entity]['path']}"
            problems.append(
                f"{label} (entity {entity}) column 'customer_id' is {col_type} but the "
                f"customers file's is {reference}: ids are matched as text, so '00042' and "
                "42 never meet; export customer_id with one type in every file"
            )
    return {"problems": problems, "warnings": warnings, "files": files}


def list_files(patterns: list[str]) -> list[dict[str, Any]]:
    """Every file the patterns match (DuckDB's `glob`, so `**` and the rest mean what they
    mean to the DuckDB build), each once, in path order: {file, size, modified}, the
    modification time in microseconds since the epoch (as DuckDB's `read_blob` gives it)."""
    with duckdb.connect() as con:
        found: list[str] = []
        for pattern in patterns:
            for (file,) in con.execute("select file from glob(?)", [pattern]).fetchall():
                if file not in found:
                    found.append(file)
        if not found:
            return []
        rows = con.execute(
            "select filename, size, epoch_us(last_modified) from read_blob(?) order by filename",
            [found],
        ).fetchall()
    return [{"file": f, "size": int(s), "modified": int(m)} for f, s, m in rows]


def main(argv: list[str] | None = None) -> int:
    """For engines that reach the project's Python through a script (Spark's TRANSFORM):
    `list` answers `list_files` and `inspect <format>` answers `inspect_files`, one JSON
    line per JSON request line on stdin."""
    import json
    import sys

    mode, *rest = sys.argv[1:] if argv is None else argv
    for line in sys.stdin:
        request = json.loads(line)
        answer = list_files(request) if mode == "list" else inspect_files(request, rest[0])
        sys.stdout.write(json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
