"""The CLV closed forms as SQL macros, against values worked out by hand.

One `dbt show --inline` renders every macro on literal inputs; the expected values are
derived below from the formulas of Fader, Hardie & Lee (2005), not from the SQL.
"""

from __future__ import annotations

import json
import math

import pytest
from conftest import run_dbt

# Parameters and inputs, each case's hand computation beside it.
CASES = {
    # x = 2, t_x = 4, T = 10; r = 1, alpha = 2, a = 1, b = 3:
    # odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x) = 1/4 * 2^3 = 2.
    "p_alive_repeat": (
        "crm_bgnbd_p_alive('2', '4.0', '10.0', r='1.0', alpha='2.0', a='1.0', b='3.0')",
        1 / 3,
    ),
    # x = 0: alive by definition.
    "p_alive_once": (
        "crm_bgnbd_p_alive('0', '0.0', '10.0', r='1.0', alpha='2.0', a='1.0', b='3.0')",
        1.0,
    ),
    # x = 0, T = 1, horizon 1; r = 1, alpha = 1, a = 2, b = 2: z = 1/3, and
    # 2F1(2, 1; 3; z) = -2 (z + ln(1 - z)) / z^2 = -6 - 18 ln(2/3); scaled by
    # (1 - z)^(a - 1) = 2/3 it is -4 - 12 ln(2/3), so
    # E = (a + b + x - 1) / (a - 1) (1 - scaled) = 3 (5 + 12 ln(2/3)) = 15 + 36 ln(2/3).
    "expected_purchases_once": (
        "crm_bgnbd_expected_purchases('(-4 - 12 * ln(2.0 / 3))', '1.0', '0', a='2.0', b='2.0')",
        15 + 36 * math.log(2 / 3),
    ),
    # x = 2, m_x = 30; p = 2, q = 3, gamma = 10: (10 + 60) * 2 / (4 + 3 - 1) = 70 / 3.
    "order_value_repeat": (
        "crm_gamma_gamma_expected_value('2', '30.0', p='2.0', q='3.0', gamma='10.0')",
        70 / 3,
    ),
    # x = 0: the population mean p * gamma / (q - 1) = 10.
    "order_value_once": (
        "crm_gamma_gamma_expected_value('0', 'null', p='2.0', q='3.0', gamma='10.0')",
        10.0,
    ),
    # q <= 1: the mean does not exist.
    "order_value_no_mean": (
        "crm_gamma_gamma_expected_value('0', 'null', p='2.0', q='1.0', gamma='10.0')",
        None,
    ),
}


@pytest.fixture(scope="module")
def shown(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("clv_macros")
    columns = ", ".join(f"{{{{ {macro} }}}} as {name}" for name, (macro, _) in CASES.items())
    run = run_dbt(
        ["show", "--inline", f"select {columns}", "--output", "json", "--log-format", "json"],
        work,
    )
    assert run.returncode == 0, run.output[-3000:]
    for line in run.output.splitlines():
        if '"ShowNode"' in line:
            return json.loads(json.loads(line)["data"]["preview"])[0]
    raise AssertionError(run.output[-3000:])


@pytest.mark.parametrize("name", list(CASES))
def test_each_closed_form_matches_its_hand_computed_value(shown, name):
    expected = CASES[name][1]
    if expected is None:
        assert shown[name] is None
    else:
        assert shown[name] == pytest.approx(expected, rel=1e-12)
