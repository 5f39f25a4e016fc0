"""The semantic layer (models/semantic, models/_exposures.yml): MetricFlow's answers, read
from the published demo serving file through the read-only profile output `serving`,
equal what plain SQL on the same file says; every semantic model, saved query and
exposure resolves; and the `serving` output refuses a write.

`mf` reads `<project>/target/semantic_manifest.json` (no option moves it) and runs
`dbt debug` on the project: it runs here in a folder of its own that holds the project's
dbt_project.yml and this session's parse (`dbt parse --target serving`), so nothing is
written to the project's target/ and parallel workers share one parse."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_DIR, built_once, query, run_dbt, serving_file

from crm_value.dashboard import PAGES  # the dashboard's pages: one exposure each

MF = Path(sys.executable).with_name("mf")


@pytest.fixture(scope="session")
def semantic_parse(tmp_path_factory, worker_id, demo_serve) -> Path:
    """A folder `mf` runs in: dbt_project.yml (the project's) and target/ holding the parse
    of the `serving` target (its relations name database crm_value, as the serving file).

    The same parse then tries a write through the `serving` output, on a copy of the
    serving file (`dbt run` of one model: the partial parse is reused, so it costs no second
    parse); write_attempt.json keeps what happened for the test that reads it."""

    def build(folder: Path) -> None:
        copy = folder / "write_attempt" / "crm_value.duckdb"
        copy.parent.mkdir()
        shutil.copyfile(serving_file(demo_serve), copy)
        before = hashlib.sha256(copy.read_bytes()).hexdigest()
        with pytest.MonkeyPatch.context() as env:
            env.setenv("CRM_SERVING_FILE", str(copy))
            run = run_dbt(["parse", "--target", "serving", "--write-json"], folder)
            assert run.returncode == 0, run.output[-4000:]
            attempt = run_dbt(["run", "--target", "serving", "-s", "metricflow_time_spine"], folder)
        outcome = {
            "returncode": attempt.returncode,
            "output": attempt.output[-4000:],
            "unchanged": hashlib.sha256(copy.read_bytes()).hexdigest() == before,
            "wal": copy.with_name("crm_value.duckdb.wal").exists(),
        }
        (folder / "write_attempt.json").write_text(json.dumps(outcome), encoding="utf-8")
        shutil.rmtree(copy.parent)
        (folder / "dbt_project.yml").symlink_to(PROJECT_DIR / "dbt_project.yml")

    return built_once(tmp_path_factory, worker_id, "semantic_parse", build)


@pytest.fixture(scope="session")
def mf_logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mf-logs")  # this worker's: mf logs every call


def mf(project: Path, serve: Path, logs: Path, *args: str) -> subprocess.CompletedProcess:
    """`mf <args>` on the serving file of `serve`, through the profile output `serving`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "DBT_"))}
    env.update(
        CRM_TARGET="serving",
        CRM_SERVING_FILE=str(serving_file(serve)),
        DBT_PROFILES_DIR=str(PROJECT_DIR / "profiles"),
        DBT_LOG_PATH=str(logs),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
    )
    return subprocess.run(
        [str(MF), *args], cwd=project, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def mf_query(semantic_parse, demo_serve, mf_logs, tmp_path):
    """MetricFlow's answer as rows of text (a null is None), keyed by column."""

    def ask(metrics: list[str], group_by: list[str] | None = None) -> list[dict]:
        out = tmp_path / "mf.csv"
        args = ["query", "--metrics", ",".join(metrics), "--csv", str(out), "--quiet"]
        if group_by:
            args += ["--group-by", ",".join(group_by)]
        run = mf(semantic_parse, demo_serve, mf_logs, *args)
        assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
        with out.open(newline="", encoding="utf-8") as f:
            return [
                {k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(f)
            ]

    return ask


def _close(got: str | None, want, rel: float = 1e-9) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return math.isclose(float(got), float(want), rel_tol=rel, abs_tol=1e-9)


def test_revenue_share_by_pyramid_tier_is_the_summary_mart(mf_query, demo_serve):
    got = mf_query(
        ["customers", "customer_share", "revenue", "revenue_share"], ["customer__pyramid_tier"]
    )
    want = query(
        demo_serve,
        "select tier_code, customers, share_of_customers, revenue, share_of_revenue "
        "from marts.fct_pyramid_tier_summary",
    )
    assert len(want) >= 4  # top, big, medium, small at least
    by_tier = {row["customer__pyramid_tier"]: row for row in got}
    assert sorted(by_tier) == sorted(row["tier_code"] for row in want)
    for row in want:
        answer = by_tier[row["tier_code"]]
        assert int(answer["customers"]) == row["customers"], row
        assert _close(answer["customer_share"], row["share_of_customers"]), (answer, row)
        assert _close(answer["revenue"], row["revenue"]), (answer, row)
        assert _close(answer["revenue_share"], row["share_of_revenue"]), (answer, row)
    assert math.isclose(sum(float(r["revenue_share"]) for r in got), 1.0)


def test_customers_by_abc_class_are_the_counts_of_dim_customers(mf_query, demo_serve):
    got = mf_query(["customers", "revenue"], ["customer__abc_class"])
    want = query(
        demo_serve,
        "select abc_class, count(*) as n, sum(value_window_revenue) as revenue "
        "from marts.dim_customers group by abc_class",
    )
    assert {r["abc_class"] for r in want} >= {"A", "B", "C"}
    assert {r["customer__abc_class"]: int(r["customers"]) for r in got} == {
        r["abc_class"]: r["n"] for r in want
    }
    revenue = {r["abc_class"]: r["revenue"] for r in want}
    for row in got:
        assert _close(row["revenue"], revenue[row["customer__abc_class"]]), row


def test_rejected_share_is_the_reconciliation(mf_query, demo_serve):
    got = mf_query(["raw_rows", "rejected_rows", "rejected_share"], ["raw_entity"])
    want = query(
        demo_serve,
        "select entity, raw_rows, rejected_raw_rows, rejected_share "
        "from audit.crm_row_reconciliation",
    )
    assert any(r["rejected_raw_rows"] > 0 for r in want)  # the demo plants bad rows
    by_entity = {row["raw_entity"]: row for row in got}
    assert sorted(by_entity) == sorted(r["entity"] for r in want)
    for row in want:
        answer = by_entity[row["entity"]]
        assert int(answer["raw_rows"]) == row["raw_rows"], row
        assert int(answer["rejected_rows"]) == row["rejected_raw_rows"], row
        assert _close(answer["rejected_share"], row["rejected_share"]), (answer, row)


def test_clv_quality_share_and_retention_are_the_marts(mf_query, demo_serve):
    metrics = ["customers", "clv_total", "clv_average", "quality_customers"]
    metrics += ["quality_customer_share", "paying_customers"]
    (got,) = mf_query(metrics)
    (want,) = query(
        demo_serve,
        "select count(*) as customers, sum(clv) as clv_total, avg(clv) as clv_average, "
        "count(*) filter (where is_quality_customer) as quality_customers, "
        "count(*) filter (where value_window_orders > 0) as paying_customers "
        "from marts.dim_customers",
    )
    (share,) = query(
        demo_serve,
        "select share_of_customers from marts.fct_quality_customer_summary "
        "where quality_tier = 'quality'",
    )
    assert want["quality_customers"] > 0 and want["clv_total"] > 0
    for name in ("customers", "quality_customers", "paying_customers"):
        assert int(got[name]) == want[name], name
    assert _close(got["clv_total"], want["clv_total"])
    assert _close(got["clv_average"], want["clv_average"])
    assert _close(got["quality_customer_share"], share["share_of_customers"])

    curve = mf_query(
        ["cohort_customers", "cohort_retention_rate"],
        ["cohort__cohort_month", "cohort__months_since"],
    )
    cells = query(
        demo_serve,
        "select strftime(cohort_month, '%Y-%m') as month, months_since, cohort_customers, "
        "active_share from marts.fct_cohort_retention",
    )
    assert len(curve) == len(cells) > 12
    month, since = "cohort__cohort_month__month", "cohort__months_since"
    by_cell = {(r[month][:7], int(r[since])): r for r in curve}
    for cell in cells:
        answer = by_cell[(cell["month"], cell["months_since"])]
        assert int(answer["cohort_customers"]) == cell["cohort_customers"], cell
        assert _close(answer["cohort_retention_rate"], cell["active_share"]), (answer, cell)


def test_revenue_to_date_runs_on_the_served_time_spine(mf_query, demo_serve):
    served = query(
        demo_serve,
        "select count(*) as n from duckdb_tables() "
        "where schema_name = 'marts' and table_name = 'metricflow_time_spine'",
    )
    assert served[0]["n"] == 1, (
        "marts.metricflow_time_spine is not in the demo release: it predates models/semantic "
        "(rebuild it: make build)"
    )
    got = mf_query(["revenue_to_date"], ["metric_time__month"])
    got.sort(key=lambda row: row["metric_time__month"])
    want = query(
        demo_serve,
        "select strftime(activity_month, '%Y-%m') as month, sum(sum(revenue)) over "
        "(order by activity_month) as to_date from marts.fct_cohort_retention "
        "group by activity_month order by activity_month",
    )
    assert len(want) > 12
    # the spine ends at as_of_date: the cumulative series stops at its month
    assert [r["metric_time__month"][:7] for r in got] == [r["month"] for r in want]
    for answer, row in zip(got, want, strict=True):
        assert _close(answer["revenue_to_date"], row["to_date"]), (answer, row)


def test_every_semantic_model_and_exposure_resolves_and_mf_validates(
    semantic_parse, demo_serve, mf_logs
):
    manifest = json.loads((semantic_parse / "target" / "manifest.json").read_text())
    semantic = json.loads((semantic_parse / "target" / "semantic_manifest.json").read_text())
    with duckdb.connect(str(serving_file(demo_serve)), read_only=True) as con:
        served = {
            (database, schema, name)
            for database, schema, name in con.execute(
                "select database_name, schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }
    relations = [s["node_relation"] for s in semantic["semantic_models"]]
    assert len(relations) >= 5
    for relation in relations:  # the names mf queries are tables of the serving file
        key = (relation["database"], relation["schema_name"], relation["alias"])
        assert key in served, relation
    assert {"customers", "revenue_share", "rejected_share", "cohort_retention_rate"} <= {
        m["name"] for m in semantic["metrics"]
    }
    assert semantic["project_configuration"]["time_spines"], "no time spine"

    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert {f"dashboard_{page}" for page in PAGES} <= set(exposures)
    for name, exposure in exposures.items():
        assert exposure["description"] and exposure["owner"]["name"], name
        nodes = exposure["depends_on"]["nodes"]
        assert nodes, name
        for node in nodes:
            assert node in manifest["nodes"] or node in manifest["metrics"], (name, node)
            if node.startswith("model."):
                model = manifest["nodes"][node]
                assert ("crm_value", model["schema"], model["alias"]) in served, (name, node)
        if name.startswith("dashboard_"):
            assert exposure["url"].endswith("/" + name.removeprefix("dashboard_")), name

    run = mf(semantic_parse, demo_serve, mf_logs, "validate-configs")
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    assert "ERRORS: 0" in run.stdout and "Successfully validated metrics" in run.stdout


def test_the_serving_target_refuses_a_write(semantic_parse):
    attempt = json.loads((semantic_parse / "write_attempt.json").read_text(encoding="utf-8"))
    assert attempt["returncode"] != 0, attempt["output"]
    assert "attached in read-only mode" in attempt["output"], attempt["output"]
    assert attempt["unchanged"] and not attempt["wal"], attempt
