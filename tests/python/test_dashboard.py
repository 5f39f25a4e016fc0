"""The dashboard (`crm-value dashboard`, src/crm_value/dashboard) as a person sees it,
through Streamlit's AppTest, on a copy of the demo serving folder's current release.

- Every page runs, draws its charts (the element tree holds a Vega-Lite chart with data
  in each of its sections) and shows the numbers a direct query of the serving file
  gives: the customer count, the tier counts against the published summaries, the tier
  migration against fct_tier_migration and the tier history, the call list in call order
  with the names of the restricted file, the rejected rows by reason.
- The language switch shows dim_tier_strategy's Chinese labels; a filter narrows the
  counts as SQL does; a release without a mart says so on its page.
- A publish while the app is open: the next rerun reads the new release through a new
  connection (the old one stays open for whoever holds it, even once its release is
  pruned); no serving folder yet is a message, not a traceback.

The tests run on a copy of the release `current` points at: the project's serving/ may
be republished while they run, and a copy pins one release to compare with.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from crm_value.dashboard import APP, CONTACTS_ENV, PAGES, SERVE_DIR_ENV, command, data, texts
from crm_value.publish import RESTRICTED_DIR, RESTRICTED_FILE, SERVING_FILE, current_release

# Per page: its sections (ui.section's `section_<heading>` containers) and how many
# charts each draws.
CHARTS = {
    "overview": {"pareto": 1},
    "pyramid_abc": {"pyramid": 1, "abc": 1},
    "rfm": {"rfm_grid": 2, "rfm8": 1, "rfm_segments": 1},
    "value_dimensions": {"value_dims": 6, "loyalty_types": 1, "lifecycle": 1},
    "clv": {"clv_dist": 2, "backtest": 1, "backtest_tracking": 1},
    "tier_migration": {"migration": 1, "trend": 1},
    "key_customers_at_risk": {"call_list": 1},
    "cohort_retention": {"cohorts": 1},
    "data_quality": {"file_quality": 3, "rejected": 1, "reconciliation": 1, "run_history": 1},
    "customer_lookup": {"pick_customer": 1},
}
assert set(CHARTS) == set(PAGES)


# --- the serving folder, copied -----------------------------------------------------------


def copy_serving(source: Path, target: Path, skip: tuple[str, ...] = ("parquet",)) -> Path:
    """A serving folder at `target` holding a copy of `source`'s current release (its
    Parquet files left out: the dashboard reads the DuckDB file), `current` linked to it."""
    release = current_release(source)
    assert release is not None, f"no release in {source}"
    copy = target / "releases" / release.name
    shutil.copytree(release, copy, symlinks=True, ignore=shutil.ignore_patterns(*skip))
    os.symlink(Path("releases") / release.name, target / "current")
    return target


def sql(serve: Path, statement: str, params: list | None = None) -> list[tuple]:
    """`statement` on the serving file `current` points at, attached read-only (not
    duckdb.connect(path), which would share one instance per path in this process)."""
    path = serve / "current" / SERVING_FILE
    with duckdb.connect() as con:
        con.execute(f"attach '{path}' as s (read_only)")
        con.execute("use s")
        return con.execute(statement, params or []).fetchall()


def restricted_sql(serve: Path, statement: str) -> list[tuple]:
    path = serve / "current" / RESTRICTED_DIR / RESTRICTED_FILE
    with duckdb.connect() as con:
        con.execute(f"attach '{path}' as r (read_only)")
        con.execute("use r")
        return con.execute(statement).fetchall()


@pytest.fixture(scope="module")
def served(demo_serve, tmp_path_factory) -> Path:
    return copy_serving(demo_serve, tmp_path_factory.mktemp("dashboard") / "serve")


@pytest.fixture
def fresh(tmp_path_factory) -> Path:
    """A folder of a path never used before in this process. DuckDB refuses to open a
    file for writing at a path that a connection of the process has attached (even to a
    file since deleted), and the cached connections of earlier tests stay open; conftest's
    tmp_path is one path per worker."""
    return tmp_path_factory.mktemp("dashboard-copy")


@pytest.fixture
def open_app(monkeypatch) -> Iterator:
    """open_app(serve, page) -> AppTest: the dashboard on `serve`, run, on `page`."""

    def opened(serve: Path, page: str = "overview") -> AppTest:
        monkeypatch.setenv(SERVE_DIR_ENV, str(serve))
        at = AppTest.from_file(str(APP), default_timeout=60).run()
        return goto(at, page)

    yield opened


def goto(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"views/{page}.py").run()
    assert_fine(at)
    return at


def assert_fine(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def section(at: AppTest, heading: str):
    return at.get_by_key(f"section_{heading}")


def charts(block) -> list:
    return [node for node in block if node.type == "vega_lite_chart"]


def chart_data(chart) -> list[pd.DataFrame]:
    """The data sets a chart element carries (Arrow IPC streams in its proto)."""
    frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets]
    if chart.proto.data.data:
        frames.append(pa.ipc.open_stream(chart.proto.data.data).read_all().to_pandas())
    return frames


def table(block, index: int = 0) -> pd.DataFrame:
    return block.dataframe[index].value


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def info_texts(at: AppTest) -> list[str]:
    return [e.value for e in at.info] + [e.value for e in at.warning]


# --- every page -----------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_and_draws_its_charts(open_app, served, page):
    at = open_app(served, page)
    assert at.title[0].value == texts.title(page, "en")
    assert not info_texts(at), info_texts(at)  # nothing is missing from the demo release
    for heading, expected in CHARTS[page].items():
        drawn = charts(section(at, heading))
        assert len(drawn) == expected, (page, heading, len(drawn))
        for chart in drawn:
            rows = sum(len(frame) for frame in chart_data(chart))
            assert rows > 0, (page, heading, "a chart without data")


def test_overview_numbers_are_the_serving_files(open_app, served):
    at = open_app(served, "overview")
    shown = metrics(at)
    release_id, as_of = sql(served, "select release_id, as_of_date from ops.release")[0]
    assert shown["Analysis date"] == as_of.isoformat()
    assert any(release_id in c.value for c in at.caption)
    (outcome,) = sql(served, "select outcome from ops.run_history order by started_at desc")[0]
    assert shown["Last refresh"] == outcome
    revenues = [
        float(r) for (r,) in sql(served, "select value_window_revenue from marts.dim_customers")
    ]
    assert number(shown["Customers"]) == len(revenues) > 0
    revenues.sort(reverse=True)
    top = sum(revenues[: math.ceil(0.2 * len(revenues))]) / sum(revenues)
    assert number(shown["Revenue from the top 20%"]) == pytest.approx(100 * top, abs=0.05)
    (quality,) = sql(served, "select count(*) from marts.dim_customers where is_quality_customer")[
        0
    ]
    assert number(shown["Quality customers"]) == quality
    curve = max(chart_data(charts(section(at, "pareto"))[0]), key=len)  # not the diagonal
    last = curve.sort_values("customer_share").iloc[-1]
    assert (last["customer_share"], last["revenue_share"]) == pytest.approx((1.0, 1.0))
    abc = table(section(at, "abc_summary"))
    published = sql(served, "select tier_code, customers from marts.fct_abc_class_summary")
    assert dict(zip(abc["tier_code"], abc["customers"], strict=True)) == dict(published)


def test_tier_counts_equal_the_published_summaries(open_app, served):
    """The pyramid, ABC, RFM types and value dimensions counted per customer by the
    dashboard equal the summaries the build published."""
    at = open_app(served, "pyramid_abc")
    for scheme, summary in (
        ("pyramid", "fct_pyramid_tier_summary"),
        ("abc", "fct_abc_class_summary"),
    ):
        shown = table(section(at, scheme), 1)
        published = sql(
            served,
            f"select tier_code, customers, share_of_revenue from marts.{summary} "
            "order by priority_rank",
        )
        assert list(shown["tier_code"]) == [row[0] for row in published]
        assert list(shown["customers"]) == [row[1] for row in published]
        assert list(shown["share_of_revenue"]) == pytest.approx([row[2] for row in published])
    goto(at, "rfm")
    rfm8 = table(section(at, "rfm8"))
    published = sql(served, "select tier_code, customers from marts.fct_rfm8_segment_summary")
    assert dict(zip(rfm8["tier_code"], rfm8["customers"], strict=True)) == dict(published)
    grid = table(section(at, "rfm_grid"))
    cells = sql(
        served, "select r_score, fm_score, count(*) from marts.fct_customer_rfm group by all"
    )
    assert {
        (r, f): n for r, f, n in grid[["r_score", "fm_score", "customers"]].itertuples(index=False)
    } == {(r, f): n for r, f, n in cells}
    goto(at, "value_dimensions")
    dims = table(section(at, "value_dims"))
    published = sql(
        served, "select scheme, tier_code, customers from marts.fct_value_dimension_summary"
    )
    assert sorted(
        dims[["scheme", "tier_code", "customers"]].itertuples(index=False, name=None)
    ) == sorted(published)


def test_clv_page_shows_the_chosen_model_and_the_backtest(open_app, served):
    at = open_app(served, "clv")
    (chosen,) = sql(
        served,
        "select model from marts.fct_clv_model_fits "
        "where is_chosen and predicts = 'purchases' and fit_window = 'full'",
    )[0]
    assert metrics(at)["Chosen purchase model"] == chosen
    (valued,) = sql(served, "select count(*) from marts.dim_customers where clv is not null")[0]
    assert number(metrics(at)["Customers"]) == valued
    (bars,) = charts(section(at, "backtest"))
    (frame,) = [f for f in chart_data(bars) if "purchases" in f]
    expected = sql(
        served,
        "select frequency_bucket, mean_actual_purchases from marts.fct_clv_backtest_summary "
        "where is_chosen and frequency_bucket <> 'all'",
    )
    actual = frame[frame["kind"] == "actual"]
    assert dict(zip(actual["frequency_bucket"], actual["purchases"], strict=True)) == pytest.approx(
        dict(expected)
    )


def _moves(served: Path, column: str, start: dt.date, end: dt.date) -> dict:
    """From-tier -> to-tier counts between two dates of the tier history, in Python."""
    rows = sql(
        served,
        f"select customer_id, as_of_date, {column} from marts.fct_customer_tier_history "
        "where as_of_date in (?, ?)",
        [start, end],
    )
    tiers = {start: {}, end: {}}
    for customer, day, tier in rows:
        tiers[day][customer] = tier
    moves: dict = {}
    for customer in set(tiers[start]) | set(tiers[end]):
        before = tiers[start].get(customer) or "not_in_scope"
        after = tiers[end].get(customer) or "not_in_scope"
        if before != "not_in_scope" or after != "not_in_scope":
            moves[(before, after)] = moves.get((before, after), 0) + 1
    return moves


def test_tier_migration_matches_the_history(open_app, served):
    at = open_app(served, "tier_migration")
    dates = [
        d
        for (d,) in sql(
            served, "select distinct as_of_date from marts.fct_customer_tier_history order by 1"
        )
    ]
    # The default: the first scheme (ABC) between the last two dates, as fct_tier_migration.
    shown = table(section(at, "migration"))
    published = sql(
        served,
        "select from_tier, to_tier, customers from marts.fct_tier_migration "
        "where scheme = 'abc' and from_as_of_date = ? and to_as_of_date = ?",
        [dates[-2], dates[-1]],
    )
    as_shown = {
        (f, t): n
        for f, t, n in shown[["from_tier", "to_tier", "customers"]].itertuples(index=False)
    }
    assert as_shown == {(f, t): n for f, t, n in published}
    # Any two dates of any scheme: the pyramid from the first date to the last.
    at.selectbox(key="migration_scheme").set_value("pyramid")
    at.selectbox(key="migration_from").set_value(dates[0].isoformat())
    at.run()
    assert_fine(at)
    shown = table(section(at, "migration"))
    as_shown = {
        (f, t): n
        for f, t, n in shown[["from_tier", "to_tier", "customers"]].itertuples(index=False)
    }
    assert as_shown == _moves(served, "pyramid_tier", dates[0], dates[-1])
    trend = table(section(at, "trend"))
    assert len(trend) == len(dates)


def test_call_list_is_in_call_order_with_the_restricted_names(open_app, served, monkeypatch):
    monkeypatch.setenv(CONTACTS_ENV, "1")  # crm-value dashboard --show-contacts
    at = open_app(served, "key_customers_at_risk")
    call_list = table(section(at, "call_list"))
    expected = sql(
        served, "select customer_id from marts.fct_key_customers_at_risk order by call_rank"
    )
    assert list(call_list["customer_id"]) == [row[0] for row in expected]
    assert len(call_list) > 0
    assert number(metrics(at)["Customers"]) == len(expected)
    names = dict(
        restricted_sql(served, "select customer_id, customer_name from restricted.call_list")
    )
    assert list(call_list["customer_name"]) == [names[c] for c in call_list["customer_id"]]
    assert any("restricted file, which this account can read" in c.value for c in at.caption)


def test_contacts_need_the_flag_and_the_restricted_file(open_app, served, fresh, monkeypatch):
    """Without --show-contacts, without the restricted file, or without the right to read
    it, ids only, and a line that says why."""
    at = open_app(served, "key_customers_at_risk")  # readable, but not asked for
    assert not {"customer_name", "email", "phone"} & set(table(section(at, "call_list")).columns)
    assert any("started without --show-contacts" in c.value for c in at.caption)
    goto(at, "customer_lookup")
    assert any("started without --show-contacts" in c.value for c in at.caption)
    monkeypatch.setenv(CONTACTS_ENV, "1")
    monkeypatch.setattr(data, "readable", lambda path: False)  # as another account
    at = open_app(served, "key_customers_at_risk")
    call_list = table(section(at, "call_list"))
    assert not {"customer_name", "email", "phone"} & set(call_list.columns)
    assert any("which this account cannot read" in c.value for c in at.caption)
    monkeypatch.undo()
    bare = copy_serving(served, fresh / "serve", skip=("parquet", RESTRICTED_DIR))
    at = open_app(bare, "key_customers_at_risk")
    assert "customer_name" not in table(section(at, "call_list")).columns
    assert any("no restricted file" in c.value for c in at.caption)
    goto(at, "customer_lookup")
    assert any("no restricted file" in c.value for c in at.caption)


def test_cohorts_and_data_quality_equal_their_tables(open_app, served):
    at = open_app(served, "cohort_retention")
    cohorts = table(section(at, "cohorts")).drop(columns=["cohort", "cohort_customers"])
    (cells,) = sql(served, "select count(*) from marts.fct_cohort_retention")[0]
    assert int(cohorts.notna().sum().sum()) == cells > 0
    goto(at, "data_quality")
    reasons: dict = {}
    for (name,) in sql(
        served,
        "select table_name from duckdb_tables() where schema_name = 'audit' "
        "and table_name like 'rejected_%'",
    ):
        for (text,) in sql(served, f"select reject_reasons from audit.{name}"):
            for reason in (text or "").split(","):
                key = (name.removeprefix("rejected_"), reason.strip())
                reasons[key] = reasons.get(key, 0) + 1
    shown = table(section(at, "rejected"))
    assert {
        (e, r): n for e, r, n in shown[["entity", "reason", "rows"]].itertuples(index=False)
    } == reasons
    recon = table(section(at, "reconciliation"))
    assert sorted(recon["entity"]) == sorted(
        e for (e,) in sql(served, "select entity from audit.crm_row_reconciliation")
    )
    runs = table(section(at, "run_history"))
    assert len(runs) == sql(served, "select count(*) from ops.run_history")[0][0]


def test_customer_lookup_shows_every_label_and_the_strategy(open_app, served):
    customer, tier, level, action = sql(
        served,
        "select customer_id, pyramid_tier, service_level, recommended_actions_en "
        "from marts.dim_customers order by value_window_revenue desc limit 1",
    )[0]
    at = open_app(served, "customer_lookup")
    at.selectbox(key="lookup_customer").set_value(customer).run()
    assert_fine(at)
    block = section(at, "pick_customer")
    assert metrics(at)["Service level"] == level
    assert any(action in m.value for m in at.markdown)
    tiers = table(block, 0)
    (label,) = sql(
        served,
        "select tier_label_en from marts.dim_tier_strategy "
        "where scheme = 'pyramid' and tier_code = ?",
        [tier],
    )[0]
    assert tiers.loc[tiers["scheme"] == "Customer pyramid", "tier"].item() == label
    fields = table(block, 1)
    assert set(fields["field"]) == {
        c
        for (c,) in sql(
            served, "select column_name from duckdb_columns() where table_name = 'dim_customers'"
        )
    }
    changes = table(block, 2)
    (n,) = sql(
        served,
        "select count(*) from marts.fct_customer_tier_changes where customer_id = ?",
        [customer],
    )[0]
    assert len(changes) == n > 0


# --- language, filters --------------------------------------------------------------------


def test_language_switch_shows_the_chinese_tier_labels(open_app, served):
    at = open_app(served, "pyramid_abc")
    english = table(section(at, "pyramid"))
    at.sidebar.radio(key="lang").set_value("zh").run()
    assert_fine(at)
    assert at.title[0].value == texts.title("pyramid_abc", "zh")
    chinese = table(section(at, "pyramid"))
    labels = sql(
        served,
        "select tier_label_en, tier_label_zh from marts.dim_tier_strategy "
        "where scheme = 'pyramid' order by priority_rank",
    )
    assert list(english["tier"]) == [en for en, _ in labels]
    assert list(chinese["层级"]) == [zh for _, zh in labels]
    assert [en for en, _ in labels] != [zh for _, zh in labels]
    goto(at, "key_customers_at_risk")
    call_list = table(section(at, "call_list"))
    actions = dict(
        sql(
            served,
            "select customer_id, recommended_actions_zh from marts.fct_key_customers_at_risk",
        )
    )
    assert list(call_list["建议行动"]) == [actions[c] for c in call_list["客户编号"]]


def test_filters_narrow_the_counts_as_sql_does(open_app, served):
    region, expected = sql(
        served,
        "select region, count(*) from marts.dim_customers group by 1 order by 2 desc, 1 limit 1",
    )[0]
    (total,) = sql(served, "select count(*) from marts.dim_customers")[0]
    at = open_app(served, "overview")
    at.sidebar.multiselect(key="filter_region").set_value([region]).run()
    assert_fine(at)
    assert number(metrics(at)["Customers"]) == expected < total
    goto(at, "key_customers_at_risk")
    (at_risk,) = sql(
        served,
        "select count(*) from marts.fct_key_customers_at_risk where customer_id in "
        "(select customer_id from marts.dim_customers where region = ?)",
        [region],
    )[0]
    assert len(table(section(at, "call_list"))) == at_risk
    # A blank value is a choice too: the customers without a type.
    at.sidebar.multiselect(key="filter_region").set_value([])
    at.sidebar.multiselect(key="filter_customer_type").set_value(["\u2205"])
    goto(at, "overview")
    (blank,) = sql(served, "select count(*) from marts.dim_customers where customer_type is null")[
        0
    ]
    assert number(metrics(at)["Customers"]) == blank


# --- releases: missing marts, none at all, a publish while open ----------------------------


def test_a_release_without_a_mart_says_so(open_app, served, fresh):
    serve = copy_serving(served, fresh / "serve", skip=("parquet", "docs", RESTRICTED_DIR))
    with duckdb.connect(str(serve / "current" / SERVING_FILE)) as con:
        con.execute("drop table marts.fct_cohort_retention")
        con.execute("drop table marts.fct_key_customers_at_risk")
    at = open_app(serve, "cohort_retention")
    assert charts(at.main) == []
    assert any("Not in this release yet: marts.fct_cohort_retention" in t for t in info_texts(at))
    goto(at, "key_customers_at_risk")
    assert any("marts.fct_key_customers_at_risk" in t for t in info_texts(at))
    goto(at, "overview")
    assert charts(section(at, "pareto"))
    assert not info_texts(at)


def test_no_release_yet_is_a_message(open_app, fresh):
    at = open_app(fresh / "nothing-here", "overview")
    assert any("No published data to show" in t for t in info_texts(at))
    assert any("crm-value refresh" in t for t in info_texts(at))


def test_the_app_follows_a_publish_on_a_new_connection(open_app, served, fresh):
    serve = copy_serving(served, fresh / "serve", skip=("parquet", "docs"))
    at = open_app(serve, "overview")
    old = current_release(serve)
    old_key = data.release_key(serve)
    customers = number(metrics(at)["Customers"])
    # A new release, as publish.py makes one: written whole under its own name, then
    # `current` switched with a rename of a new link over it.
    new_id = "29991231T000000Z-dashtest"
    new = serve / "releases" / new_id
    shutil.copytree(old, new, symlinks=True)
    with duckdb.connect(str(new / SERVING_FILE)) as con:
        con.execute("update ops.release set release_id = ?", [new_id])
        con.execute(
            "delete from marts.dim_customers where customer_id in "
            "(select customer_id from marts.dim_customers order by customer_id limit 7)"
        )
    link = serve / ".current.dashtest.tmp"
    os.symlink(Path("releases") / new_id, link)
    os.replace(link, serve / "current")
    at.run()
    assert_fine(at)
    assert number(metrics(at)["Customers"]) == customers - 7
    assert any(new_id in c.value for c in at.caption)
    new_key = data.release_key(serve)
    assert new_key != old_key
    new_con, old_con = data.connection(new_key), data.connection(old_key)
    assert new_con is not old_con
    attached = "select path from duckdb_databases() where database_name = 'serving'"
    assert new_con.cursor().execute(attached).fetchall() == [(str(new / SERVING_FILE),)]
    assert old_con.cursor().execute(attached).fetchall() == [(str(old / SERVING_FILE),)]
    # The old release pruned (as tidy_releases does): the app keeps working on the new one,
    # and the old connection, held by whoever was mid-rerun, still reads its release.
    shutil.rmtree(old)
    for page in ("overview", "pyramid_abc", "customer_lookup"):
        goto(at, page)
    (n,) = (
        old_con.cursor().execute("select count(*) from serving.marts.dim_customers").fetchall()[0]
    )
    assert n == customers


def test_docs_page_embeds_the_release_docs(open_app, served):
    at = open_app(served, "overview")
    goto(at, "docs")
    docs = served / "current" / "docs" / "index.html"
    if not docs.exists():
        assert any("no docs site" in t for t in info_texts(at))
        return
    (frame,) = [node for node in at.main if node.type == "iframe"]
    assert frame.proto.srcdoc == docs.read_text(encoding="utf-8")
    assert at.download_button(key="docs_download").label == "Download the docs page (HTML)"


def test_contacts_are_never_served_beyond_localhost(capsys):
    with pytest.raises(SystemExit) as refused:
        command.main(["--show-contacts", "--host", "0.0.0.0"])
    assert refused.value.code == 2
    assert "every viewer on the network would see" in capsys.readouterr().err
