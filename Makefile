# One command to set up and build, one to set up and check everything (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DBT := $(BIN)/dbt

export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: setup setup-spark setup-browser dashboard test-spark spark-check build refresh test test-build test-pytest unit-test lint sqlfluff ruff dag-lint dbt-build pytest demo-data bench-build bench-daily bench-history bench-value-model clean

## setup: create .venv with the pinned tools and this project's Python package
setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e .
	@# `source .venv/bin/activate` then lets a plain `dbt build` find profiles/.
	@grep -q DBT_PROFILES_DIR $(BIN)/activate || { \
	  echo 'export DBT_PROFILES_DIR="$$VIRTUAL_ENV/../profiles"'; \
	  echo 'export DBT_SEND_ANONYMOUS_USAGE_STATS=false'; } >> $(BIN)/activate
	touch $@

## setup-spark: add pyspark and the Spark target's other packages (requirements-spark.txt)
## to .venv; Spark itself runs on the machine's Java (17). pytest runs the Spark tests
## (tests/python/test_spark.py) only once they are installed
setup-spark: $(VENV)/.spark-installed

$(VENV)/.spark-installed: $(VENV)/.installed requirements-spark.txt
	$(BIN)/python -m pip install --quiet -r requirements-spark.txt
	touch $@

## test-spark: set up with Spark, then every Spark test: the one the test command runs (a
## bad raw file and 20,000 generated customers built in one Spark session as on DuckDB)
## and the `spark_long` ones it leaves out: the project parses on Spark, the demo's seeds
## build on Spark as on DuckDB, a refresh of the demo on Spark publishes what a DuckDB refresh publishes, the 20,000 customers
## pass every data and unit test on Spark, the shapes the generator never makes build
## alike on Spark, a stale export and a failed test stop a refresh on Spark
test-spark: setup-spark
	$(BIN)/pytest -p no:cacheprovider tests/python/test_spark.py

## build: set up, then fill the demo warehouse's tier history for the 12 months before
## the data's date (one audited build per month, only the months not stored yet), then
## refresh: expectations at the door, dbt build (seeds, models, every test and audit)
## into the work database, publish to serving/ with the whole history
build: setup
	$(BIN)/crm-value backfill --last 12 --every month

## dashboard: serve the dashboard on http://localhost:8501 (reads serving/current read-only)
dashboard: setup
	$(BIN)/crm-value dashboard

## refresh: the refresh alone (today's date; the stored history is kept)
refresh: setup
	$(BIN)/crm-value refresh

## test: set up, then run every check, the Spark comparison included: lint beside the
## Spark packages' install, then the demo build (backfill and refresh, then the dbt unit
## tests on its warehouse) beside pytest, whose history tests wait for the build's
## serving folder (TEST_DEMO_BUILD_MARKER). Each step's output comes when it ends. Side by
## side the steps fill the cores that one of them alone leaves idle (see README, Tests)
# `make test`'s demo build leaves $(DEMO_BUILT).done (or .failed) when it ends.
DEMO_BUILT := $(CURDIR)/target/demo-build

test: setup
	@mkdir -p target && rm -f $(DEMO_BUILT).done $(DEMO_BUILT).failed
	$(MAKE) --no-print-directory -j3 --output-sync=target lint test-build test-pytest \
	  DEMO_BUILD_MARKER=$(DEMO_BUILT)

# The demo build of `make test`: it leaves $(DEMO_BUILT).done (or .failed) for pytest.
test-build: setup-spark
	@if $(MAKE) --no-print-directory build; then touch $(DEMO_BUILT).done; \
	  else touch $(DEMO_BUILT).failed; exit 1; fi
	$(MAKE) --no-print-directory unit-test

## setup-browser: Debian's chromium, chromedriver and a Chinese font (fonts-noto-cjk) for
## the dashboard's browser test, installed with apt-get when missing (as root, else sudo)
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
BROWSER_PACKAGES := chromium chromium-driver fonts-noto-cjk
setup-browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null && \
	  fc-list :lang=zh 2>/dev/null | grep -q .; then :; \
	else echo "installing $(BROWSER_PACKAGES) (apt-get)"; \
	  $(SUDO) apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null && \
	    $(SUDO) apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null; }; fi

# pytest of `make test`: pyspark installed, so the Spark tests but the spark_long ones run;
# the history tests wait for DEMO_BUILD_MARKER's .done (set by `test` alone).
test-pytest: setup-spark setup-browser
	TEST_DEMO_BUILD_MARKER=$(DEMO_BUILD_MARKER) \
	  $(BIN)/pytest -n 2 --dist worksteal --durations=40 -m "not spark_long"

## spark-check: set up with Spark, then the Spark test of the test command alone (a bad
## file and 20,000 generated customers built in one Spark session as on DuckDB): one
## process, as Spark runs its own threads. About four minutes alone;
## `make test-spark` adds the spark_long ones
spark-check: setup-spark
	$(BIN)/pytest -p no:cacheprovider -m "not spark_long" tests/python/test_spark.py

lint: sqlfluff ruff dag-lint

## unit-test: the dbt unit tests (fixed inputs, no data), on the warehouse `build` left;
## a refresh leaves them out, as dbt advises for production runs
unit-test: setup
	$(DBT) test --select "test_type:unit"

## sqlfluff: dbt's templater opens the profile's database: lint gets one of its own, so
## it never waits for (or locks out) a build or a reader of crm_value.duckdb
sqlfluff: setup
	mkdir -p target
	CRM_WAREHOUSE_PATH=$(CURDIR)/target/sqlfluff.duckdb \
	  $(BIN)/sqlfluff lint --processes 2 models macros tests analyses

ruff: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

## dag-lint: the DAG's own rules (layers, a key test, a description, a mart's parents) on
## a fresh parse's manifest (src/crm_value/dag_lint.py); a parse opens no database
dag-lint: setup
	$(DBT) parse --target-path target/dag-lint
	$(BIN)/python -m crm_value.dag_lint target/dag-lint/manifest.json

## pytest: the Python tests (the Spark comparison too once `make setup-spark` has run),
## but the `spark_long` ones
pytest: setup
	$(BIN)/pytest -n 2 --dist worksteal --durations=40 -m "not spark_long"

## dbt-build: the dbt build alone, into the work database (no expectations, no publish)
dbt-build: setup
	$(DBT) build

## demo-data: regenerate the committed demo seeds with the deterministic generator
demo-data: setup
	$(BIN)/python -m crm_value.generate --out seeds/crm_demo --format csv

## bench-build: the scale benchmark of `dbt build` on generated Parquet files (wall time and
## peak memory), e.g. `make bench-build ARGS="--customers 1000000 --orders 10000000"`
bench-build: setup
	$(BIN)/python benchmarks/bench_build.py $(ARGS)

## bench-daily: the daily benchmark's data side alone (ARGS="layout GENERATED DAILY",
## "increment DAILY N DAY" or "compare A.duckdb B.duckdb"); bench-value-model --daily runs it
bench-daily: setup
	$(BIN)/python benchmarks/bench_daily.py $(ARGS)

## bench-history: how a day's history work grows with the stored dates,
## e.g. `make bench-history ARGS="--customers 1500000 --dates 3,30"`
bench-history: setup
	$(BIN)/python benchmarks/bench_history.py $(ARGS)

## bench-value-model: `dbt build` against the hand-written DuckDB script of the same rules
## (time, peak memory, cross-check), e.g. `make bench-value-model ARGS="--customers 1500000
## --orders 15000000 --refresh"`
bench-value-model: setup
	$(BIN)/python benchmarks/bench_value_model.py $(ARGS)

clean:
	rm -rf target logs dbt_packages crm_value.duckdb crm_value.duckdb.wal serving spark
