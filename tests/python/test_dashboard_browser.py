"""The dashboard in a real browser: `crm-value dashboard` on a free port against the demo
serving folder, driven by Debian's Chromium through chromedriver (Selenium, headless).

Every page (its URL path is its slug) must finish running with all its charts drawn (a
canvas or svg in each Vega-Lite chart), no exception and no alert; a screenshot of each
is saved in $CRM_SCREENSHOT_DIR (default target/screenshots/). The release's docs site
(docs/index.html, dbt's one-page static docs) must render a model's page when opened
from its file:// URL. One browser session serves the whole test.

Chromium or chromedriver missing is a failure, not a skip: `make setup-browser` installs
them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CRM_VALUE, PROJECT_DIR, refresh_env
from test_dashboard import CHARTS

from crm_value.dashboard import DOCS_SLUG, PAGES, texts
from crm_value.publish import DOCS_PAGE, current_release

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(os.environ.get("CRM_SCREENSHOT_DIR") or PROJECT_DIR / "target" / "screenshots")
WINDOW = (1400, 1000)
PAGE_TIMEOUT = 30  # seconds for one page to finish running and drawing
DOCS_MODEL = "dim_customers"

# What the page shows: its title, how many Vega-Lite charts and how many are drawn,
# whether Streamlit's running indicator is up, and what went wrong.
STATE_JS = """
const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
return {
  title: (document.querySelector('[data-testid="stMain"] h1, section.main h1') || {}).innerText,
  charts: charts.length,
  drawn: charts.filter(c => c.querySelector('canvas, svg')).length,
  frames: document.querySelectorAll('[data-testid="stIFrame"]').length,
  running: document.querySelector('[data-testid="stStatusWidget"]') !== null,
  exceptions: [...document.querySelectorAll('[data-testid="stException"]')].map(e => e.innerText),
  alerts: [...document.querySelectorAll('[data-testid="stAlert"], [role="dialog"]')]
    .map(e => e.innerText),
};
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard(demo_serve, tmp_path_factory) -> Iterator[str]:
    """`crm-value dashboard` on a free port over the demo serving folder: its URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("dashboard") / "dashboard.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(CRM_VALUE), "dashboard", "--serve-dir", str(demo_serve), "--port", str(port)],
            cwd=PROJECT_DIR,
            env=refresh_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped whole below
        )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the dashboard did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} missing: the dashboard's browser test drives Debian's "
            "chromium through chromedriver; `make setup-browser` installs them"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_window_size(*WINDOW)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for_page(driver, title: str, charts: int, frames: int = 0) -> dict:
    """Wait until the page shows `title`, has run to its end (no running indicator) and
    drew all of at least `charts` charts (and `frames` embedded pages); its last state."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    seen: dict = {}

    def ready(d) -> bool:
        seen.update(d.execute_script(STATE_JS))
        if seen["exceptions"]:
            return True  # fails below, with the exception's text
        return (
            seen["title"] == title
            and not seen["running"]
            and seen["drawn"] == seen["charts"] >= charts
            and seen["frames"] >= frames
        )

    try:
        WebDriverWait(driver, PAGE_TIMEOUT, poll_frequency=0.2).until(ready)
    except TimeoutException:
        pytest.fail(f"{title!r} not ready after {PAGE_TIMEOUT} s: {seen}")
    return seen


def test_every_page_in_chromium(dashboard, browser, demo_serve):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = [(slug, sum(CHARTS[slug].values()), 0) for slug in PAGES] + [(DOCS_SLUG, 0, 1)]
    for slug, charts, frames in pages:
        browser.get(f"{dashboard}/{slug}")
        state = wait_for_page(browser, texts.title(slug, "en"), charts, frames)
        assert not state["exceptions"], (slug, state["exceptions"])
        assert not state["alerts"], (slug, state["alerts"])  # the demo has every mart
        time.sleep(0.3)  # let the last chart settle before the picture
        shot = SCREENSHOTS / f"{slug}.png"
        assert browser.save_screenshot(str(shot)), slug
        assert shot.stat().st_size > 10_000, (slug, "an empty screenshot")
    release = current_release(demo_serve)
    docs = release / DOCS_PAGE
    if not docs.exists():  # a release from before the docs site
        return
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{docs.as_uri()}#!/model/model.crm_value.{DOCS_MODEL}")
    WebDriverWait(browser, PAGE_TIMEOUT, poll_frequency=0.2).until(
        lambda d: (
            DOCS_MODEL in d.find_element("tag name", "body").text
            and "Columns" in d.find_element("tag name", "body").text
        )
    )
    browser.save_screenshot(str(SCREENSHOTS / "dbt_docs.png"))
