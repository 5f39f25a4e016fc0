"""The command line: ``python -m crm_value.generate`` and ``crm-value generate``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from crm_value.generate.run import generate


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m crm_value.generate",
        description="Generate deterministic synthetic CRM data (five entities).",
    )
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--anomalies",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="interleave the documented contract-breaking rows (default: on)",
    )
    parser.add_argument(
        "--constant-amount",
        type=float,
        default=None,
        metavar="AMOUNT",
        help="every order costs AMOUNT and a customer orders at most once a day: every "
        "customer spends alike (default: amounts drawn)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    args = _parse_args(argv)
    result = generate(
        out_dir=args.out,
        fmt=args.format,
        n_customers=args.customers,
        n_orders=args.orders,
        seed=args.seed,
        anomalies=args.anomalies,
        constant_amount=args.constant_amount,
    )
    rows = ", ".join(f"{e}={n}" for e, n in result["rows"].items())
    print(f"wrote {result['format']} to {result['out_dir']} in {result['seconds']}s: {rows}")
