"""template.yaml is the single source of truth: every route has a handler and vice versa."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra import handlers, openapi, sam, template

ROOT = template.ROOT
RESOURCE_BUDGET = 400


def _handler_files() -> set[Path]:
    return {p.resolve() for p in (ROOT / "functions").rglob("handler.py")}


@pytest.mark.parametrize("function", template.functions(), ids=lambda f: f.logical_id)
def test_every_function_handler_imports(function: template.Function) -> None:
    module = handlers.load(function)
    assert callable(getattr(module, function.handler_name))


@pytest.mark.parametrize("route", template.routes(), ids=lambda r: f"{r.method} {r.path}")
def test_every_route_is_registered_on_its_handlers_app(route: template.Route) -> None:
    # GIVEN the handler the template points at
    app = handlers.load(route.function).app
    # THEN its resolver serves exactly that method and path (Powertools writes {x} as <x>)
    expected = re.sub(r"\{([^}+]+)\+?\}", r"<\1>", route.path)
    registered = {(m, rule) for rule, methods in _routes_of(app) for m in methods}
    assert (route.method, expected) in registered, registered


def _routes_of(app: object) -> list[tuple[str, list[str]]]:
    found = []
    for route in app._static_routes + app._dynamic_routes:  # type: ignore[attr-defined]
        found.append((route.openapi_path.replace("{", "<").replace("}", ">"), [route.method]))
    return found


def test_every_handler_file_is_declared_in_the_template() -> None:
    declared = {f.handler_file.resolve() for f in template.functions()}
    assert _handler_files() - declared == set()


def test_cfn_lint_is_clean() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), str(template.TEMPLATE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_transform_runs_offline_within_the_resource_budget() -> None:
    count = sam.resource_count()
    print(f"\nCloudFormation resources after the SAM transform: {count} (budget {RESOURCE_BUDGET}, hard limit 500)")
    assert 0 < count < RESOURCE_BUDGET


def test_every_api_function_has_one_route() -> None:
    # One small Lambda per route: no function serves two routes.
    per_function: dict[str, int] = {}
    for route in template.routes():
        per_function[route.function.logical_id] = per_function.get(route.function.logical_id, 0) + 1
    assert {k: v for k, v in per_function.items() if v != 1} == {}


def test_committed_openapi_document_is_fresh() -> None:
    assert openapi.main(["--check"]) == 0, "run `make openapi` and commit shared/souk/system/openapi.json"


def test_openapi_document_is_valid_openapi() -> None:
    from openapi_spec_validator import validate

    validate(openapi.generate())


def test_samconfig_environments_override_only_declared_parameters() -> None:
    import shlex
    import tomllib

    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    declared = set(template.load()["Parameters"])
    for env in ("dev", "prod"):
        overrides = config[env]["deploy"]["parameters"]["parameter_overrides"]
        names = {pair.split("=", 1)[0] for pair in shlex.split(overrides)}
        assert "Stage" in names and names <= declared, (env, names - declared)
