"""Garbage collection during a cold start: paused while a function imports, frozen after.

Importing a handler leaves ~100,000 objects that live as long as the process (modules,
classes, models, clients) and makes ~40,000 that die young. The collector, running ~130
times meanwhile, spent 70-100 ms of CPU on them, a full collection alone 40-65 ms: a
sixth of a cold start (README, Benchmarks). So in Lambda it is paused from our first
import (``souk/__init__.py`` calls :func:`init_started`) until the handler is built
(``entrypoint``, ``sqs_consumer`` and ``scheduled_job`` call :func:`init_done`), which
moves everything alive then to the permanent generation (``gc.freeze``) and resumes
collecting. Later collections skip those objects, warm invocations' included; the init
garbage they hold (about 1 MB) is never freed.

Only where ``AWS_LAMBDA_FUNCTION_NAME`` is set (Lambda, the local runner's environments):
tests and tools keep Python's default collector. Modules imported before ``souk`` (the
runtime's, Powertools' when a handler names it first) are imported with the collector on.
"""

from __future__ import annotations

import gc
import os

_paused = False


def init_started() -> None:
    """Pause the collector for the rest of a Lambda function's init (once; elsewhere nothing)."""
    global _paused
    if not _paused and os.environ.get("AWS_LAMBDA_FUNCTION_NAME") and gc.isenabled():
        gc.disable()
        _paused = True


def init_done() -> None:
    """The handler is built: freeze what init left alive and collect again (if paused)."""
    global _paused
    if _paused:
        gc.freeze()
        gc.enable()
        _paused = False
