"""Exactly one DynamoDB call per list page.

PynamoDB's result iterator fetches more pages on its own until it has ``limit`` items:
with a FilterExpression that is an unbounded number of calls. :func:`one_page` takes the
first page DynamoDB returns and stops, so a list route's cost stays one Query whatever
the partition holds; a filtered page may come back short, with a cursor to go on.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pynamodb.pagination import ResultIterator

from souk.db.base import SoukItem

M = TypeVar("M", bound=SoukItem)


def one_page(model: type[M], result: ResultIterator[M]) -> tuple[list[M], dict[str, Any] | None]:
    """The items of the first page of a query and its LastEvaluatedKey (None at the end).

    Parameters
    ----------
    model
        The class to build items with (the discriminator still picks the subclass).
    result
        ``Model.query(...)`` or ``Model.gsiN.query(...)`` with ``page_size`` set and
        ``last_evaluated_key`` from the decoded cursor; not iterated yet.
    """
    raw = next(result.page_iter, None)
    if raw is None:
        return [], None
    items = [model.from_raw_data(item) for item in raw.get("Items", [])]
    return items, result.page_iter.last_evaluated_key
