"""SnapStart: what a snapshot must not carry into the execution environments restored from it.

With SnapStart on (template parameter ``SnapStart``, README "SnapStart"), Lambda runs a
function's init once, when a version is published, snapshots the memory and starts every
later execution environment of that version from the snapshot. Whatever init left in
memory is then shared by all of them:

- the :mod:`random` module's state: every environment would draw the same sequence
  (our jittered retry pauses would collide, which is what jitter exists to prevent);
- cached clients, their credentials and their open connections: boto3's default
  session, PynamoDB's connections, Powertools Parameters' providers (with the secrets
  they cache: JWT key, Stripe keys) and the clients our modules cache themselves.

:func:`after_restore` runs after every restore (registered with the runtime's
``snapshot_restore_py``): it re-seeds :mod:`random` from the OS and drops all of the
above, which is rebuilt on first use. A module that caches a client registers how to
drop it with :func:`on_restore` (usually its factory's ``cache_clear``).

Needs nothing: ``uuid.uuid4``, :mod:`secrets`, ``os.urandom`` and :func:`souk.ids.new_id`
read the kernel's generator at every call. ``str`` hashing keeps the seed the interpreter
started with (it guards dicts against collision flooding, it protects no secret).

``snapshot_restore_py`` ships with Lambda's Python runtimes, not with the layer: outside
Lambda (tests, the local runner) a stand-in with the same registration functions keeps
the hooks in a list, where :func:`after_restore_hooks` finds them.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from typing import Any, TypeVar

Hook = TypeVar("Hook", bound=Callable[..., Any])

try:
    from snapshot_restore_py import (  # type: ignore[import-not-found]
        get_after_restore,
        register_after_restore,
    )
except ImportError:  # not on Lambda's runtime
    _AFTER_RESTORE: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []

    def register_after_restore(func: Hook, *args: Any, **kwargs: Any) -> Hook:
        """The runtime's registration function: ``func(*args, **kwargs)`` after each restore."""
        _AFTER_RESTORE.append((func, args, kwargs))
        return func

    def get_after_restore() -> list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]:
        return _AFTER_RESTORE


_droppers: list[Callable[[], object]] = []


def on_restore(drop: Hook) -> Hook:
    """Have ``drop()`` run after a restore (e.g. a client factory's ``cache_clear``); returns it."""
    _droppers.append(drop)
    return drop


def after_restore_hooks() -> list[Callable[..., Any]]:
    """The callables registered to run after a restore, in their order."""
    return [func for func, _args, _kwargs in get_after_restore()]


def _subclasses(cls: type) -> list[Any]:
    found: list[Any] = []
    pending = [cls]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(current.__subclasses__())
    return found


def _drop_library_state() -> None:
    """Clients and caches of the libraries we use, for those this process has loaded."""
    boto3: Any = sys.modules.get("boto3")
    if boto3 is not None:
        boto3.DEFAULT_SESSION = None  # its credentials, its client cache
    parameters: Any = sys.modules.get("aws_lambda_powertools.utilities.parameters.base")
    if parameters is not None:
        parameters.clear_caches()  # providers with their clients and cached secrets
    models: Any = sys.modules.get("pynamodb.models")
    if models is not None:
        for model in _subclasses(models.Model):
            model._connection = None  # each holds a botocore session and client


def after_restore() -> None:
    """Re-seed :mod:`random` from the OS, then drop cached clients, connections and secrets."""
    random.seed()
    _drop_library_state()
    for drop in _droppers:
        drop()


register_after_restore(after_restore)
