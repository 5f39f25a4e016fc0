"""dbt-duckdb plugin: the two pieces of Python the dbt project calls from SQL on DuckDB.

Configured in ``profiles/profiles.yml`` under ``plugins``; it registers two scalar
functions on every connection dbt-duckdb opens:
- ``crm_inspect_raw_files(request_json, file_format)``: DuckDB's own errors for an
  unreadable CSV do not name the file, and Jinja cannot catch an error. This runs the
  project's file rules (`crm_value.raw_files.inspect_files`) on private in-memory
  connections and returns a JSON verdict instead of raising; the macro
  ``crm_check_raw_files`` turns its problems into an error that names the file and column.
- ``crm_fit_clv_models(min_customers, model, scope, <the inputs as lists>)``: the CLV fits
  of `int_clv_models_fitted` (`crm_value.clv_fit.fit_json`), as a JSON array of rows. Its
  arguments are Arrow arrays, so a million buyers' columns reach numpy without a copy
  per value.
"""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin

from crm_value.clv_fit import INPUTS, fit_json
from crm_value.raw_files import inspect_files


def inspect_raw_files(request_json: str, file_format: str) -> str:
    """`inspect_files` on a JSON request, answered as JSON. Never raises."""
    return json.dumps(inspect_files(json.loads(request_json), file_format))


def _first(values: pa.ChunkedArray | pa.Array):
    """The one value of a one-row Arrow argument: a Python scalar, or a list's numpy."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        return array.flatten().to_numpy(zero_copy_only=False)
    return array[0].as_py()


def fit_clv_models(  # DuckDB counts a UDF's parameters by name: no *args
    min_customers, model, scope, x, t_x, big_t, m_x, calibration, cal_x, cal_t_x, cal_t, cal_m_x
) -> pa.Array:
    """`fit_json` on one row of aggregated inputs (Arrow UDF: a column in, a column out)."""
    arguments = (min_customers, model, scope, x, t_x, big_t, m_x, calibration)
    arguments += (cal_x, cal_t_x, cal_t, cal_m_x)
    if len(min_customers) != 1:
        raise ValueError("crm_fit_clv_models fits one row of aggregated lists at a time")
    return pa.array([fit_json(*(_first(a) for a in arguments))], type=pa.string())


class Plugin(BasePlugin):
    """Registers the project's functions on each connection dbt-duckdb opens."""

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        conn.create_function(
            "crm_inspect_raw_files",
            inspect_raw_files,
            ["VARCHAR", "VARCHAR"],
            "VARCHAR",
            side_effects=True,
        )
        lists = ["BOOLEAN[]" if name == "calibration" else "DOUBLE[]" for name in INPUTS]
        conn.create_function(
            "crm_fit_clv_models",
            fit_clv_models,
            ["BIGINT", "VARCHAR", "VARCHAR", *lists],
            "VARCHAR",
            type="arrow",
            side_effects=True,
        )
