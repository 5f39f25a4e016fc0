"""The docs against the project: names the README and docs/*.md use must exist, and what
exists must be documented.

Plain text checks, no dbt run and no import of the command modules (they are read as
source text, so a refactor of them cannot break this test's import): vars against
`dbt_project.yml`, marts against `models/marts/`, `crm-value` flags against the argparse
calls, `CRM_*` variables against the code that reads them, relative links and their
headings against the files. Each check is a function of texts and sets that returns its
problems, and each is shown to fail on a small fixture that breaks it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "docs_drift"

# Flags of other tools the docs show (dbt, mf, pip, ruff, pytest); every other `--flag`
# in the docs must be one the project's commands or benchmark scripts accept.
FOREIGN_FLAGS = frozenset(
    {
        "--select",  # dbt
        "--exclude",
        "--exclude-resource-type",
        "--resource-type",
        "--full-refresh",
        "--static",
        "--metrics",  # mf
        "--group-by",
        "--order",
        "--where",
        "--saved-query",
        "--csv",
        "--check",  # ruff format
    }
)
VAR_TABLE_HEADER = "| var | default | meaning |"


def doc_texts(root: Path = PROJECT_DIR) -> dict[str, str]:
    """README.md and docs/*.md by their path relative to the project."""
    paths = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in paths}


def project_vars(dbt_project_text: str) -> set[str]:
    return set(yaml.safe_load(dbt_project_text)["vars"])


def vars_table(vars_doc: str) -> set[str]:
    """The var names of the table under the `| var | default | meaning |` header."""
    section = vars_doc.split(VAR_TABLE_HEADER, 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, flags=re.M))


def vars_given(text: str) -> set[str]:
    """Var names set with `--vars '{name: value, ...}'` (YAML or JSON keys)."""
    names: set[str] = set()
    for mapping in re.findall(r"--vars\s+['\"]?\{([^}]*)\}", text):
        names.update(re.findall(r"[\"']?(\w+)[\"']?\s*:", mapping))
    return names


def var_problems(docs: dict[str, str], vars_doc: str, defined: set[str]) -> list[str]:
    documented = vars_table(vars_doc)
    problems = [
        f"docs/vars.md documents var {v!r}, not in dbt_project.yml" for v in documented - defined
    ]
    problems += [
        f"var {v!r} of dbt_project.yml is not in docs/vars.md" for v in defined - documented
    ]
    for name, text in docs.items():
        problems += [f"{name} sets unknown var {v!r}" for v in vars_given(text) - defined]
    return sorted(problems)


def marts_named(text: str) -> set[str]:
    """Mart names a doc uses: `fct_*` / `dim_*` identifiers and `marts.<name>`."""
    names = set(re.findall(r"(?<![\w.])((?:fct|dim)_[a-z0-9_]*[a-z0-9])\b(?![*/])", text))
    names |= set(re.findall(r"\bmarts\.([a-z][a-z0-9_]*[a-z0-9])\b", text))
    return names


def mart_problems(
    docs: dict[str, str], marts_doc: str, marts: set[str], known: set[str]
) -> list[str]:
    """`marts`: the models under models/marts; `known`: every table of schema marts (the
    marts and the models of that schema elsewhere, such as the time spine)."""
    problems = [
        f"{name} names mart {m!r}, which does not exist"
        for name, text in docs.items()
        for m in marts_named(text) - known
    ]
    documented = set(re.findall(r"`(\w+)`", marts_doc))
    problems += [f"mart {m!r} is not described in docs/value_model.md" for m in marts - documented]
    return sorted(problems)


def _call_arguments(after_paren: str) -> str:
    """The text of a call's arguments, up to its closing parenthesis (quotes respected)."""
    depth, quote = 1, ""
    for i, char in enumerate(after_paren):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return after_paren[:i]
    return after_paren


def argparse_flags(sources: list[str]) -> set[str]:
    """Every `--flag` an `add_argument(...)` call registers (and `--no-x` for a
    BooleanOptionalAction), read from source text."""
    flags: set[str] = set()
    for source in sources:
        for call in source.split("add_argument(")[1:]:
            arguments = _call_arguments(call)
            named = set(re.findall(r"^\s*(?:[\"']-\w[\"']\s*,\s*)?[\"'](--[\w-]+)[\"']", arguments))
            flags |= named
            if "BooleanOptionalAction" in arguments:
                flags |= {"--no-" + flag[2:] for flag in named}
    return flags


def flags_named(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][\w-]*[a-z0-9]", text))


def flag_problems(docs: dict[str, str], accepted: set[str]) -> list[str]:
    allowed = accepted | FOREIGN_FLAGS
    return sorted(
        f"{name} names flag {f!r}, which no command accepts"
        for name, text in docs.items()
        for f in flags_named(text) - allowed
    )


def env_problems(docs: dict[str, str], code_text: str) -> list[str]:
    known = set(re.findall(r"\bCRM_[A-Z0-9_]*[A-Z0-9]\b", code_text))
    return sorted(
        f"{name} names environment variable {v!r}, which nothing reads"
        for name, text in docs.items()
        for v in set(re.findall(r"\bCRM_[A-Z0-9_]*[A-Z0-9]\b", text)) - known
    )


def heading_anchors(text: str) -> set[str]:
    """GitHub's anchors of a Markdown file's headings (code blocks skipped)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    anchors = set()
    for title in re.findall(r"^#{1,6} (.+?)\s*$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower().replace("`", ""))
        anchors.add(slug.replace(" ", "-"))
    return anchors


def link_problems(docs: dict[str, str], root: Path) -> list[str]:
    """Every relative link `[..](path#anchor)` reaches a file and, in a Markdown file, a
    heading."""
    problems = []
    for name, text in docs.items():
        here = (root / name).parent
        prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", prose):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (here / path).resolve() if path else root / name
            if not file.exists():
                problems.append(f"{name} links to {target!r}: no such file")
            elif (
                anchor
                and file.suffix == ".md"
                and anchor not in heading_anchors(file.read_text(encoding="utf-8"))
            ):
                problems.append(f"{name} links to {target!r}: no such heading")
    return sorted(problems)


# --- the project's own texts -----------------------------------------------------------


MACRO_DEF = re.compile(r"{%-?\s*macro\s+(\w+)\s*\((.*?)\)\s*-?%}", re.S)


def macro_signatures(sql_texts: list[str]) -> dict[str, list[str]]:
    """Every macro defined in the texts, with its argument names in order (Jinja's
    defaults, `none` or `[]`, parse as Python's)."""
    found = {}
    for text in sql_texts:
        for name, args in MACRO_DEF.findall(text):
            function = ast.parse(f"def {name}({args}): pass").body[0]
            found[name] = [arg.arg for arg in function.args.args]
    return found


def macro_doc_problems(macros_yml: str, signatures: dict[str, list[str]]) -> list[str]:
    """A line per macro that macros/_macros.yml and the SQL disagree on: one described
    and not defined, defined and not described, or described with other arguments."""
    described = {m["name"]: m for m in yaml.safe_load(macros_yml)["macros"]}
    problems = [
        f"macro {n}: described, not defined" for n in sorted(described.keys() - signatures.keys())
    ]
    problems += [
        f"macro {n}: defined, not described" for n in sorted(signatures.keys() - described.keys())
    ]
    for name in sorted(described.keys() & signatures.keys()):
        documented = [arg["name"] for arg in described[name].get("arguments") or []]
        if documented != signatures[name]:
            problems.append(
                f"macro {name}: arguments {documented} described, {signatures[name]} defined"
            )
    return problems


def source_texts(*patterns: str) -> list[str]:
    return [
        p.read_text(encoding="utf-8", errors="replace")
        for pattern in patterns
        for p in sorted(PROJECT_DIR.glob(pattern))
        if p.is_file() and FIXTURES not in p.parents and p.name != Path(__file__).name
    ]


def mart_models() -> set[str]:
    return {p.stem for p in (PROJECT_DIR / "models" / "marts").rglob("*.sql")}


def marts_schema_models() -> set[str]:
    """Models outside models/marts whose YAML config puts them in schema marts."""
    names = set()
    for path in (PROJECT_DIR / "models").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            if (model.get("config") or {}).get("schema") == "marts":
                names.add(model["name"])
    return names


def test_vars_documented_and_real():
    docs = doc_texts()
    defined = project_vars((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert var_problems(docs, docs["docs/vars.md"], defined) == []


def test_marts_documented_and_real():
    docs = doc_texts()
    marts = mart_models()
    problems = mart_problems(
        docs, docs["docs/value_model.md"], marts, marts | marts_schema_models()
    )
    assert problems == []


def test_flags_are_the_commands_flags():
    accepted = argparse_flags(source_texts("src/crm_value/**/*.py", "benchmarks/*.py"))
    assert {"--raw-dir", "--max-customer-drop", "--show-contacts", "--last"} <= accepted
    assert flag_problems(doc_texts(), accepted) == []


def test_environment_variables_are_read_somewhere():
    code = "\n".join(
        source_texts(
            "src/**/*.py",
            "profiles/*",
            "dbt_project.yml",
            "models/**/*",
            "macros/**/*.sql",
            "Makefile",
            ".github/workflows/*",
            "tests/python/*.py",
        )
    )
    assert env_problems(doc_texts(), code) == []


def test_relative_links_reach_files_and_headings():
    assert link_problems(doc_texts(), PROJECT_DIR) == []


# --- each guard fails on a fixture that breaks it --------------------------------------

VARS_DOC = f"""{VAR_TABLE_HEADER}
|---|---|---|
| `as_of_date` | null | the day |
| `max_rejected_shar` | `0.05` | misspelt |
"""


def test_var_guard_trips():
    problems = var_problems(
        {"x.md": "crm-value refresh --vars '{as_of_date: null, clv_modle: best}'"},
        VARS_DOC,
        {"as_of_date", "max_rejected_share"},
    )
    assert problems == [
        "docs/vars.md documents var 'max_rejected_shar', not in dbt_project.yml",
        "var 'max_rejected_share' of dbt_project.yml is not in docs/vars.md",
        "x.md sets unknown var 'clv_modle'",
    ]


def test_mart_guard_trips():
    problems = mart_problems(
        {"x.md": "`fct_customer_rfm`, `marts.fct_customer_ltv` and `fct_*_summary`"},
        "`fct_customer_rfm`",
        {"fct_customer_rfm", "fct_customer_abc"},
        {"fct_customer_rfm", "fct_customer_abc"},
    )
    assert problems == [
        "mart 'fct_customer_abc' is not described in docs/value_model.md",
        "x.md names mart 'fct_customer_ltv', which does not exist",
    ]


def test_flag_guard_trips():
    source = (FIXTURES / "command.py.txt").read_text(encoding="utf-8")
    accepted = argparse_flags([source])
    assert accepted == {"--serve-dir", "--port", "--anomalies", "--no-anomalies"}
    problems = flag_problems(
        {
            "x.md": "crm-value dashboard --serve-dir DIR --prot 8600 --no-anomalies; "
            "dbt build --select x"
        },
        accepted,
    )
    assert problems == ["x.md names flag '--prot', which no command accepts"]


def test_env_guard_trips():
    problems = env_problems(
        {"x.md": "CRM_RAW_DIR=/data CRM_RAW_FOLDER=/data"}, 'os.environ["CRM_RAW_DIR"]'
    )
    assert problems == ["x.md names environment variable 'CRM_RAW_FOLDER', which nothing reads"]


def test_link_guard_trips(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text(
        "# A page\n\n## The `serving` folder\n", encoding="utf-8"
    )
    docs = {
        "README.md": "[a](docs/a.md#the-serving-folder) [b](docs/b.md) [c](docs/a.md#gone) "
        "[web](https://example.com/x)",
        "docs/a.md": "[back](../README.md) [self](#a-page)\n```\n[in code](nowhere.md)\n```",
    }
    assert link_problems(docs, tmp_path) == [
        "README.md links to 'docs/a.md#gone': no such heading",
        "README.md links to 'docs/b.md': no such file",
        "docs/a.md links to '../README.md': no such file",
    ]


@pytest.mark.parametrize(
    "title, anchor",
    [
        ("The tier history: how customers move", "the-tier-history-how-customers-move"),
        ("What `make test` runs", "what-make-test-runs"),
        ("CLV, P(alive) and churn risk", "clv-palive-and-churn-risk"),
        ("Metrics (MetricFlow)", "metrics-metricflow"),
    ],
)
def test_anchors_follow_github(title, anchor):
    assert heading_anchors(f"## {title}\n") == {anchor}


def test_every_macro_described_with_its_arguments():
    macros_yml = (PROJECT_DIR / "macros" / "_macros.yml").read_text(encoding="utf-8")
    sql = [p.read_text(encoding="utf-8") for p in (PROJECT_DIR / "macros").rglob("*.sql")]
    assert macro_doc_problems(macros_yml, macro_signatures(sql)) == []


def test_macro_guard_trips():
    sql = [
        "{% macro crm_a(entity, rules=[]) %}x{% endmacro %}",
        "{%- macro crm_b(x, y=none) -%}{{ return(1) }}{%- endmacro %}",
    ]
    macros_yml = """
macros:
  - name: crm_a
    arguments: [{name: entity}]
  - name: crm_gone
"""
    assert macro_doc_problems(macros_yml, macro_signatures(sql)) == [
        "macro crm_gone: described, not defined",
        "macro crm_b: defined, not described",
        "macro crm_a: arguments ['entity'] described, ['entity', 'rules'] defined",
    ]
