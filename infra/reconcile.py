"""`make reconcile [STORE=id]`: check that each store's balance is the sum of its ledger entries.

Usage: python -m infra.reconcile [--store ID ...] [--table T] [--endpoint URL]

The check :func:`souk.finance.service.balance.reconcile` makes for one store (a Query of its
entries against its balance item), for the stores named or, by default, for every store
that has a balance (found with a Scan: an operator's audit, never a request path). Targets
the running local stack, or a deployed table (see :mod:`infra.stack`).
Exit status: 0 every store balances, 1 a store does not (each is printed) or the stack is
unreachable, 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from infra import stack

ApiCall = Callable[[Any, str, dict[str, Any]], dict[str, Any]]


def stores_with_a_balance(table_name: str, call: ApiCall | None = None) -> list[str]:
    """Every store id with a StoreBalance item (a paginated, filtered Scan of the table)."""
    from souk.db.base import connection

    client = connection().client
    send: ApiCall = call or (lambda c, operation, params: c._make_api_call(operation, params))
    params: dict[str, Any] = {"TableName": table_name, "FilterExpression": "entity = :e",
                              "ExpressionAttributeValues": {":e": {"S": "StoreBalance"}}}  # fmt: skip
    found: list[str] = []
    while True:
        page = send(client, "Scan", params)
        found += [item["storeId"]["S"] for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return sorted(found)
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.reconcile", description="Reconcile store balances.")
    parser.add_argument("--store", action="append", default=[], help="a store id (repeatable; default: every store)")
    parser.add_argument("--table", help="a deployed stack's table (default: TABLE_NAME, else the local stack)")
    parser.add_argument("--endpoint", help="DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB, else found)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        target = stack.connect(stack.resolve(args.table, args.endpoint))
    except stack.TargetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from souk.finance.service.balance import reconcile

    store_ids = [s.strip() for s in args.store if s.strip()] or stores_with_a_balance(target.table)
    mismatched = 0
    for check in map(reconcile, store_ids):
        if check.matches:
            print(f"ok        {check.store_id}: {check.entries} entries, {check.stored}")
        else:
            mismatched += 1
            print(f"MISMATCH  {check.store_id}: stored {check.stored}, entries sum to {check.recomputed}")
    print(f"{len(store_ids) - mismatched} of {len(store_ids)} stores balance, in {target.describe()}.")
    return 1 if mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
