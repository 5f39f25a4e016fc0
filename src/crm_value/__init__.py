"""Customer value warehouse: generator, orchestration and the dbt-duckdb plugin."""
