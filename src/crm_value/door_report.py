"""The door's report as one self-contained HTML page (inline style, every text escaped):
the verdict, the date and the input, the failures and the file warnings, then each
suite's checks with what was observed and allowed."""

from __future__ import annotations

import html
from typing import Any

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin-bottom: 2rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; }
th { background: #f2f2f2; }
tr.fail td { background: #fde2e2; }
.pass { color: #1a7f37; font-weight: bold; }
.fail-text { color: #b42318; font-weight: bold; }
dt { font-weight: bold; float: left; clear: left; width: 9rem; }
dd { margin-left: 10rem; }
"""


def _verdict_html(success: bool) -> str:
    """Passed or failed, coloured."""
    return (
        '<span class="pass">passed</span>' if success else '<span class="fail-text">failed</span>'
    )


def render_html(report: dict[str, Any]) -> str:
    """The page of one door report (crm_value.door's expectations.json)."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Expectations at the door: {'passed' if report['success'] else 'failed'}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Expectations at the door</h1>",
        "<dl>",
        *(f"<dt>{e(label)}</dt><dd>{value}</dd>" for label, value in _header(report)),
        "</dl>",
    ]
    for title, key in (("Failures", "failures"), ("Warnings on the files", "file_warnings")):
        if report.get(key):
            parts.append(f"<h2>{title}</h2><ul>")
            parts += [f"<li>{e(line)}</li>" for line in report[key]]
            parts.append("</ul>")
    for suite in report["suites"]:
        parts += _suite_table(suite)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _header(report: dict[str, Any]) -> list[tuple[str, str]]:
    """The page's heading facts, label and HTML value."""
    e = html.escape
    header = [
        ("verdict", _verdict_html(report["success"])),
        ("as_of_date", e(f"{report['as_of_date']} ({report['as_of_date_source']})")),
        ("clock (UTC)", e(report["clock"])),
        ("input", e(report["input"])),
        ("raw rows", e(", ".join(f"{k}: {v:,}" for k, v in report["input_rows"].items()))),
    ]
    if report.get("already_judged"):
        judged = "; ".join(
            f"{entity}: {seen['files']:,} files, {seen['raw_rows']:,} rows"
            for entity, seen in report["already_judged"].items()
        )
        header.append(
            (
                "judged before",
                e(judged + " (passed by an earlier door, unchanged since: not read again)"),
            )
        )
    return header


def _suite_table(suite: dict[str, Any]) -> list[str]:
    """One suite's heading and its table of checks, a failed one highlighted."""
    e = html.escape
    columns = ("rule", "column", "observed", "allowed", "var", "expectation")
    verdict = _verdict_html(suite["success"])
    parts = [f"<h2>{e(suite['name'])}: {suite['rows']:,} rows, {verdict}</h2>"]
    if suite.get("scope", "every row") != "every row":
        parts.append(f"<p>{e(suite['scope'])}</p>")
    parts.append(
        "<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in columns) + "<th>result</th></tr>"
    )
    for row in suite["expectations"]:
        css = "" if row["success"] else ' class="fail"'
        cells = "".join(f"<td>{e(str(row[c]))}</td>" for c in columns)
        result = "pass" if row["success"] else "FAIL"
        parts.append(f"<tr{css}>{cells}<td>{result}</td></tr>")
    parts.append("</table>")
    return parts
