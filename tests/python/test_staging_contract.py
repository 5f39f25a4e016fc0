"""The staging and base models name every column and rule of the raw-file contract.

The contract is written once, in the macro crm_raw_entities; the models spell its columns,
casts and reason codes out so that a reader sees them. This test reads the committed SQL as
text (nothing is compiled or built) and fails when a model and the contract disagree: a
contract column a model leaves out, a cast to another type, a required column without its
`missing_<column>` rule, a value set without its `invalid_<column>` rule (or with other
values), a column the contract lacks, or columns out of the contract's order.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crm_value.contract import raw_contract

MODELS = Path(__file__).resolve().parents[2] / "models" / "staging" / "crm"

# Columns the batch store and the validation add around the contract's (files, verdicts,
# versions): a model may name these besides the contract's own.
MACHINERY = {
    "batch_file",
    "file_index",
    "file_size",
    "file_modified",
    "file_hash",
    "file_raw_rows",
    "loaded_by",
    "rules_hash",
    "n_raw_rows",
    "static_reasons",
    "rows_sharing_key",
    "raw_kept",
    "row_reasons",
    "reject_reasons",
    "row_outcome",
    "is_known_customer",
    "is_superseded",
    "latest_file",
    "version_rank",
    "copy_rank",
    "rows_sharing_version",
}
KEYWORDS = {"with", "select", "from", "where", "case", "end", "else", "true", "false", "null"}
REASON = re.compile(r"'(missing|invalid|control_character|implausible)_(\w+)'")
CAST = re.compile(r"crm_cast\('raw_(\w+)', '(\w+)', raw\.(\w+)\.type\) }} as (\w+)")
RAW_VALUE = re.compile(r"crm_raw_value\(raw\.(\w+)\) }} as raw_(\w+)")
VALUE_SET = re.compile(r"when (\w+) not in \(([^)]*)\)\s+then 'invalid_(\w+)'")
REJECTED_RAW = re.compile(r"crm_rejected_raw\('(\w+)'\) }} as raw_(\w+)")
BARE = re.compile(r"^\s+(?:\w+\.)?(\w+),?$", re.MULTILINE)
ALIAS = re.compile(r"\bas (\w+),?$", re.MULTILINE)


def _code(sql: str) -> str:
    """The SQL without Jinja and SQL comments (a comment may name anything)."""
    return re.sub(r"--[^\n]*", "", re.sub(r"{#.*?#}", "", sql, flags=re.S))


def _output_in_order(found: list[str], expected: list[str]) -> bool:
    """Whether the last select that names the contract's columns (the model's output)
    names them in the contract's order."""
    runs: list[list[str]] = []
    for name in found:
        if name in expected:
            if name == expected[0] or not runs:
                runs.append([])
            runs[-1].append(name)
    return bool(runs) and runs[-1] == expected


def column_problems(entity: str, kind: str, sql: str) -> list[str]:
    """Where the model `kind` ('staging', 'validated' or 'batches') of `entity`, as SQL
    text, disagrees with the contract; empty when it agrees."""
    spec = raw_contract()[entity]
    columns = {column["name"]: column for column in spec["columns"]}
    order = list(columns)
    code = _code(sql)
    problems = []

    bare = [name for name in BARE.findall(code) if name not in KEYWORDS]
    aliases = ALIAS.findall(code)
    named = {name.removeprefix("raw_") for name in bare}
    named |= {name.removeprefix("raw_") for name in re.findall(r"(?<!model\.)\braw_\w+", code)}
    if kind != "staging":  # staging may derive columns (ordered_date, margin)
        named |= {name.removeprefix("raw_") for name in aliases}
    for name in sorted(named - set(columns) - MACHINERY - {"kept"}):
        problems.append(f"names {name}, which the contract lacks")
    for name in order:
        if name not in bare:
            problems.append(f"{name} is not selected")
    if not _output_in_order(bare, order):
        problems.append("the output's columns are not in the contract's order")

    if kind == "staging":
        for name in aliases:
            if name in columns:
                problems.append(f"{name} is computed, not the validated column")
        return problems

    if kind == "validated":
        kept = REJECTED_RAW.findall(code)
        for name in order:
            if (name, name) not in kept:
                problems.append(f"raw_{name} is not kept for rejected rows")
        if entity == "customers":
            versions = re.search(r"count\(distinct hash\(([^)]*)\)\)", code)
            hashed = [n.strip() for n in versions.group(1).split(",")] if versions else []
            if hashed != order:
                problems.append("a customer version is not told apart by every column")
        return problems

    casts = {}
    for raw, cast_type, typed_as, alias in CAST.findall(code):
        if not raw == typed_as == alias:
            problems.append(f"the cast of raw_{raw} reads raw.{typed_as} and names {alias}")
        casts[alias] = cast_type
    for name, column in columns.items():
        if name not in casts:
            problems.append(f"{name} has no crm_cast")
        elif casts[name] != column["type"]:
            problems.append(f"{name} is cast to {casts[name]}, the contract says {column['type']}")
    if [name for name in casts if name in columns] != [name for name in order if name in casts]:
        problems.append("the casts are not in the contract's order")
    read = RAW_VALUE.findall(code)
    for name in order:
        if (name, name) not in read:
            problems.append(f"raw_{name} is not read from the file")

    codes = set(REASON.findall(code))
    value_sets = {col: values for col, values, code_col in VALUE_SET.findall(code)}
    for name, column in columns.items():
        expected = set()
        if column["required"]:
            expected.add("missing")
        if column.get("values") or column["type"] != "text":
            expected.add("invalid")
        if column["type"] == "text":
            expected.add("control_character")
        if column["type"] in ("timestamp", "date"):
            expected.add("implausible")
        found = {kind for kind, col in codes if col == name}
        for missing in sorted(expected - found):
            problems.append(f"{name} has no {missing}_{name} rule")
        for extra in sorted(found - expected):
            problems.append(f"{name} has a {extra}_{name} rule the contract does not call for")
        values = ", ".join(f"'{value}'" for value in column.get("values", [])) or None
        if values != value_sets.get(name):
            problems.append(f"{name}'s value set is not the contract's ({values})")
    for kind, name in sorted(codes):
        if name not in columns:
            problems.append(f"a {kind}_{name} rule, for a column the contract lacks")
    return problems


def _models() -> list[tuple[str, str, Path]]:
    found = []
    for entity in raw_contract():
        found.append((entity, "staging", MODELS / f"stg_crm__{entity}.sql"))
        found.append((entity, "validated", MODELS / "base" / f"base_crm__{entity}_validated.sql"))
        found.append((entity, "batches", MODELS / "base" / f"base_crm__{entity}_batches.sql"))
    return found


@pytest.mark.parametrize(("entity", "kind", "path"), _models(), ids=lambda v: getattr(v, "stem", v))
def test_the_model_names_the_contract(entity: str, kind: str, path: Path):
    assert column_problems(entity, kind, path.read_text(encoding="utf-8")) == []


def test_every_staging_and_base_model_is_checked():
    on_disk = set(MODELS.glob("stg_crm__*.sql")) | set(MODELS.glob("base/base_crm__*.sql"))
    assert on_disk == {path for _, _, path in _models()}


def test_the_base_models_read_no_staging_model():
    for path in MODELS.glob("base/*.sql"):
        assert "ref('stg_" not in path.read_text(encoding="utf-8"), path.name


# A staging model that lost `channel`, names a column the contract lacks and renames one.
DRIFTED_STAGING = """
with

validated as (
    select * from {{ ref('base_crm__orders_validated') }}
),

final as (
    select
        order_id,
        customer_id,
        ordered_at,
        status,
        quantity,
        amount,
        cost,
        discount,
        upper(status) as status
    from validated
    where row_outcome = 'accepted'
)

select * from final
"""


def test_a_drifted_staging_model_is_caught():
    assert column_problems("orders", "staging", DRIFTED_STAGING) == [
        "names discount, which the contract lacks",
        "channel is not selected",
        "the output's columns are not in the contract's order",
        "status is computed, not the validated column",
    ]


def test_a_drifted_batch_model_is_caught():
    sql = (MODELS / "base" / "base_crm__orders_batches.sql").read_text(encoding="utf-8")
    drifted = (
        sql.replace("'decimal', raw.amount.type", "'integer', raw.amount.type")
        .replace("then 'missing_customer_id'", "then null")
        .replace("'cancelled', 'returned'", "'cancelled'")
        .replace("raw.channel.type) }} as channel", "raw.channel.type) }} as sales_channel")
    )
    assert column_problems("orders", "batches", drifted) == [
        "names sales_channel, which the contract lacks",
        "the cast of raw_channel reads raw.channel and names sales_channel",
        "amount is cast to integer, the contract says decimal",
        "channel has no crm_cast",
        "customer_id has no missing_customer_id rule",
        "status's value set is not the contract's ('completed', 'cancelled', 'returned')",
    ]


def test_a_drifted_validation_is_caught():
    sql = (MODELS / "base" / "base_crm__customers_validated.sql").read_text(encoding="utf-8")
    drifted = sql.replace(" " * 16 + "phone,\n", "").replace(
        "{{ crm_rejected_raw('email') }} as raw_email", "raw_email"
    )
    assert column_problems("customers", "validated", drifted) == [
        "raw_email is not kept for rejected rows",
        "a customer version is not told apart by every column",
    ]
