"""``<SOUK_LOCAL_DIR>/stack.json``: what the running local stack listens on and the resources it made.

The runner writes it once it serves, and removes it when it stops cleanly. ``make seed``
and ``make admin`` read it rather than guess ports that may belong to another stack; a
file whose ``pid`` is no longer alive (the runner was killed) counts as no stack.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infra import template

FILE_NAME = "stack.json"


def local_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``SOUK_LOCAL_DIR`` (default ``.local``), relative to the repository unless absolute."""
    configured = Path(env.get("SOUK_LOCAL_DIR") or ".local")
    return configured if configured.is_absolute() else template.ROOT / configured


def path(directory: Path) -> Path:
    return directory / FILE_NAME


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, someone else's
    return True


def write(directory: Path, stack: dict[str, Any]) -> Path:
    """Write it whole or not at all (a reader never sees half a file)."""
    target = path(directory)
    partial = target.with_suffix(".json.tmp")
    partial.write_text(json.dumps(stack, indent=2) + "\n", encoding="utf-8")
    partial.replace(target)
    return target


def read(directory: Path) -> dict[str, Any] | None:
    """The running stack's description, or None: no file, an unreadable one, or its runner is gone."""
    try:
        stack = json.loads(path(directory).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stack, dict) or not pid_alive(int(stack.get("pid") or 0)):
        return None
    return stack


def remove(directory: Path, pid: int) -> None:
    """Remove the file if it is ``pid``'s (never another runner's)."""
    target = path(directory)
    try:
        if int(json.loads(target.read_text(encoding="utf-8")).get("pid") or 0) == pid:
            target.unlink()
    except (OSError, ValueError):
        pass
