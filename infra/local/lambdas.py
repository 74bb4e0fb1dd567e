"""Invoke a template function in this process (the tests' way; the runner uses :mod:`infra.local.environments`)."""

from __future__ import annotations

import threading
from typing import Any

from infra import handlers, template
from infra.local.events import LambdaContext

# handlers.load publishes a module in sys.modules before running it; two threads
# importing the same handler at once could see a half-initialised module.
_LOAD_LOCK = threading.Lock()


def load(function: template.Function) -> Any:
    """The function's handler module, imported once per process whatever the thread."""
    with _LOAD_LOCK:
        return handlers.load(function)


def timeout_seconds(function: template.Function) -> int:
    """The function's Timeout, else the Globals one, else Lambda's default of 3 s."""
    globals_ = template.load().get("Globals", {}).get("Function", {})
    return int(function.properties.get("Timeout", globals_.get("Timeout", 3)))


def invoke(function: template.Function, event: dict[str, Any]) -> Any:
    """Call the function's handler with ``event`` and a fresh context; exceptions propagate."""
    module = load(function)
    context = LambdaContext(function.logical_id, timeout_seconds(function))
    return getattr(module, function.handler_name)(event, context)
