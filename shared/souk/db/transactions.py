"""Multi-item writes as one DynamoDB transaction, with cancellation reasons mapped by item.

PynamoDB sends a transaction's items grouped by kind (condition checks, deletes, puts,
updates), not in the order they were added, and DynamoDB reports cancellation reasons
in the order sent. :class:`WriteTransaction` labels every item so callers learn *which*
item failed, e.g. ``{"stock:SKU-1": "ConditionalCheckFailed"}``.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from souk.db.base import SoukItem, connection

MAX_ITEMS = 100  # DynamoDB's limit per transaction
# Reasons that mean "another transaction on the same item got there first": retry the same write.
CONTENTION = frozenset({"TransactionConflict", "TransactionInProgressException"})

T = TypeVar("T")


def backoff(attempt: int) -> None:
    """Sleep before retry ``attempt`` (0-based): exponential, capped at 0.2 s, jittered so racers spread out."""
    time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))  # jitter, not security


class TransactionCancelled(Exception):
    """The transaction was cancelled; ``reasons`` maps item labels to DynamoDB reason codes."""

    def __init__(self, reasons: dict[str, str]) -> None:
        self.reasons = reasons
        super().__init__(f"transaction cancelled: {reasons}")

    def failed(self, code: str = "ConditionalCheckFailed") -> list[str]:
        """Labels of the items that failed with ``code``."""
        return [label for label, reason in self.reasons.items() if reason == code]


class Retry(Exception):
    """Raised by an attempt of :func:`retry_on_contention` that lost a race a fresh read settles
    (a condition on a value another writer changed meanwhile): the attempt runs again."""


def retry_on_contention(attempt: Callable[[], T], *, attempts: int, exhausted: Callable[[], Exception],
                        retry_on: frozenset[str] = CONTENTION) -> T:  # fmt: skip
    """``attempt()`` until it returns: the one retry loop of the layer.

    An attempt reads what it needs, decides, and writes (usually one :class:`WriteTransaction`
    conditioned on what it read). It runs again, after a jittered :func:`backoff`, when it
    raises :class:`Retry` or a :class:`TransactionCancelled` whose every reason is in
    ``retry_on`` (by default :data:`CONTENTION`: another transaction on the same items got
    there first). Anything else it raises propagates, domain errors included.

    Parameters
    ----------
    attempt
        Reads, decides and writes; returns the result. Holds no state from a failed try
        except what it chooses to keep (a closure).
    attempts
        How many tries at most.
    exhausted
        Builds the error raised when every try lost (usually a 409 ``Conflict`` with ``Retry-After``).
    retry_on
        The cancellation reasons that retry the attempt as it is.
    """
    for number in range(attempts):
        try:
            return attempt()
        except Retry:
            pass
        except TransactionCancelled as cancelled:
            if not set(cancelled.reasons.values()) <= retry_on:
                raise
        if number + 1 < attempts:
            backoff(number)
    raise exhausted()


class WriteTransaction:
    """``with WriteTransaction(token) as tx: tx.put(item, label=...)``; commits on exit.

    ``token`` is DynamoDB's ClientRequestToken: a retry with the same token within ten
    minutes is not applied twice.
    """

    def __init__(self, client_request_token: str | None = None) -> None:
        self._tx = TransactWrite(connection=connection(), client_request_token=client_request_token or uuid.uuid4().hex)
        self._labels: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction has committed (never if it is cancelled)."""
        self._after_commit.append(callback)

    def _label(self, kind: str, label: str | None, item: Any) -> None:
        if sum(len(v) for v in self._labels.values()) >= MAX_ITEMS:
            raise ValueError(f"a transaction holds at most {MAX_ITEMS} items")
        self._labels[kind].append(label or f"{kind}:{getattr(item, 'pk', item)}")

    def check(self, model: type[SoukItem], pk: str, sk: str, condition: Condition, *, label: str | None = None) -> None:
        self._label("check", label, f"{pk}|{sk}")
        self._tx.condition_check(model, pk, sk, condition=condition)

    def put(self, item: SoukItem, condition: Condition | None = None, *, label: str | None = None) -> None:
        self._label("put", label, item)
        self._tx.save(item, condition=condition)
        committed = getattr(item, "on_committed", None)
        if callable(committed):  # e.g. an audit record counts itself (souk.audit.counters)
            self.after_commit(committed)

    def update(self, item: SoukItem, actions: Sequence[Action], condition: Condition | None = None,
               *, label: str | None = None, add_version_condition: bool = True) -> None:  # fmt: skip
        """``add_version_condition=False``: a commutative change (a counter ADD) that must not fail on the
        version a concurrent writer bumped; PynamoDB still bumps the version so versioned saves notice it."""
        self._label("update", label, item)
        self._tx.update(item, list(actions), condition=condition, add_version_condition=add_version_condition)

    def delete(self, item: SoukItem, condition: Condition | None = None, *, label: str | None = None) -> None:
        self._label("delete", label, item)
        self._tx.delete(item, condition=condition)

    @property
    def size(self) -> int:
        return sum(len(v) for v in self._labels.values())

    def __enter__(self) -> WriteTransaction:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            return
        if self.size == 0:
            return
        try:
            self._tx.__exit__(None, None, None)  # PynamoDB commits on a clean exit
        except TransactWriteError as error:
            raise TransactionCancelled(self._reasons(error)) from error
        for callback in self._after_commit:
            callback()

    def _reasons(self, error: TransactWriteError) -> dict[str, str]:
        sent = self._labels["check"] + self._labels["delete"] + self._labels["put"] + self._labels["update"]
        codes = [getattr(r, "code", None) or "None" for r in (error.cancellation_reasons or [])]
        if len(codes) != len(sent):  # not a cancellation (throttling, validation): report it whole
            return {"*": str(error.cause_response_code or "TransactionFailed")}
        return {label: code for label, code in zip(sent, codes, strict=True) if code != "None"}
