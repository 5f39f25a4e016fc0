"""The Streamlit dashboard over the published serving file (`crm-value dashboard`).

    app.py        the entry point: sidebar (language, filters, docs) and the navigation
    views/*.py    one script per page; a page's URL path is its file's name (the slug)
    data.py       read-only access to the release `current` points at, and the SQL
    ui.py         what every page shares: context, labels, sections, tables
    charts.py     the Altair charts
    texts.py      every text in English and Chinese
    command.py    `crm-value dashboard`: runs Streamlit on app.py

Nothing here imports Streamlit at package import time, so the command line stays light.
"""

from __future__ import annotations

from pathlib import Path

from crm_value.dbt_env import PROJECT_DIR

APP = Path(__file__).with_name("app.py")
VIEWS = Path(__file__).with_name("views")
# The page slugs (URL paths) are fixed: the dbt exposures (models/_exposures.yml) name them.
PAGES = (
    "overview",
    "pyramid_abc",
    "rfm",
    "value_dimensions",
    "clv",
    "tier_migration",
    "key_customers_at_risk",
    "cohort_retention",
    "data_quality",
    "customer_lookup",
)
DOCS_SLUG = "docs"  # the release's dbt docs site, embedded (not one of the exposures)
SERVE_DIR_ENV = "CRM_SERVE_DIR"
# "1": show names, emails and phones from the restricted file (`--show-contacts`).
CONTACTS_ENV = "CRM_DASHBOARD_CONTACTS"
DEFAULT_SERVE_DIR = PROJECT_DIR / "serving"  # as `crm-value refresh`
