"""Deterministic synthetic CRM data for the crm_value dbt + DuckDB project.

Five entities are written to one output folder, one file per entity, named
``<entity>.csv`` or ``<entity>.parquet``:

``customers``
    Customer master data (individuals and businesses in Chinese provinces) with
    profile gaps and stale records.
``orders``
    About three years of seasonal order history with heavy-tailed customer value,
    customer acquisition over time, churn, prospects without orders and same-day
    repeat orders.
``receivables``
    Invoices for a subset of business customers' completed orders; about 12% are
    overdue and not fully paid at :data:`REFERENCE_DATE`.
``service_tickets``
    Complaints, inquiries, requests and repairs; about 5% still open.
``surveys``
    Expectation / perception / recommendation scores.

All timestamps are naive local times strictly before ``REFERENCE_DATE`` 00:00:00
and never before the customer's ``created_at``; the only values after the
reference date are ``receivables.due_at`` of invoices that are not due yet.

The work is vectorised with numpy and done in chunks of ``CHUNK_CUSTOMERS``
customers, so a 1M-customer / 10M-order Parquet run has bounded memory.
Identical arguments give byte-identical files.

With anomalies on (default), a small fixed set of contract-breaking rows is
interleaved into the last chunk at seed-determined positions and documented in
``<out>/_anomalies.json`` (see :data:`ANOMALY_KINDS`).  Apart from the exact
duplicates, the older customer versions and the conflicting order duplicates
(which reuse existing ids), every anomaly row has a fresh id and nothing else
refers to it, so rejecting it does not cascade into other entities.

Usage::

    python -m crm_value.generate --out data/raw --format csv \\
        --customers 2000 --orders 30000 --seed 42

The modules: ``reference`` (calendar, sizes and shares, names and places, schemas),
``arrays`` (Arrow column builders), ``plan`` (the per-customer skeleton that fixes every
row count), ``entities`` (the five entities, chunk by chunk), ``anomalies`` (the planted
contract-breaking rows), ``writers`` (CSV and Parquet files), ``run`` (:func:`generate`)
and ``command`` (the command line).
"""

from crm_value.generate.anomalies import ANOMALY_KINDS
from crm_value.generate.command import main
from crm_value.generate.reference import ENTITIES, REFERENCE_DATE, SCHEMAS
from crm_value.generate.run import generate

__all__ = [
    "ANOMALY_KINDS",
    "ENTITIES",
    "REFERENCE_DATE",
    "SCHEMAS",
    "generate",
    "main",
]
