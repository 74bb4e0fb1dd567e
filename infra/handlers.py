"""Import route handlers by file path, each under its own module name.

Every function's file is called ``handler.py``; importing them by path with a unique
module name keeps them from colliding in one process (tests, local runner, OpenAPI).
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from infra.template import Function


def module_name(function: Function) -> str:
    return f"souk_fn_{function.logical_id}"


def load(function: Function) -> ModuleType:
    """The handler module of a function, imported once per process."""
    name = module_name(function)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, function.handler_file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {function.handler_file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def unload(function: Function) -> None:
    sys.modules.pop(module_name(function), None)
