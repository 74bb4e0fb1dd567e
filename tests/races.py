"""Racing calls for the concurrency tests: every call released at the same instant by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from souk.errors import SoukError


def at_once(calls: Sequence[Callable[[], Any]], *, catching: tuple[type[BaseException], ...] = (SoukError,)
            ) -> list[Any]:  # fmt: skip
    """Run ``calls`` in as many threads, released together; each one's result, or the error it raised
    when that error is one of ``catching`` (the outcome of each racer is what a test checks)."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return call()
        except catching as error:
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
