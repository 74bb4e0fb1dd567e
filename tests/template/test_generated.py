"""template.yaml's function blocks are generated from the code (`make template`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import template, template_gen


def test_committed_template_is_fresh() -> None:
    current = template.TEMPLATE.read_text()
    assert template_gen.render(current) == current, "template.yaml is stale: run `make template`"


def test_every_handler_is_generated_once_with_its_domains_role() -> None:
    handlers = sorted(template_gen.FUNCTIONS.glob("*/*/handler.py"))
    functions = {f.code_uri: f for f in template.functions()}
    assert len(functions) == len(handlers)
    for handler in handlers:
        function = functions[handler.parent.relative_to(template.ROOT).as_posix()]
        assert function.properties["Role"] == {"Fn::GetAtt": [template_gen.ROLES[handler.parent.parent.name], "Arn"]}


def test_routes_come_from_the_decorators() -> None:
    for route in template.routes():
        assert template_gen.route_of(route.function.handler_file) == (route.method.lower(), route.path)


def _function(tmp_path: Path, handler: str, declaration: str | None = None) -> Path:
    directory = tmp_path / "functions" / "catalog" / "thing_get"
    directory.mkdir(parents=True)
    (directory / "handler.py").write_text(handler)
    if declaration is not None:
        (directory / "function.yaml").write_text(declaration)
    return directory


ROUTE = '@app.get("/api/v1/things/<thingId>")\ndef get(thing_id: str) -> dict:\n    return {}\n'


def test_a_route_is_read_without_importing_the_handler(tmp_path: Path) -> None:
    directory = _function(tmp_path, "import not_a_module\n" + ROUTE)
    assert template_gen.route_of(directory / "handler.py") == ("get", "/api/v1/things/{thingId}")
    assert template_gen.logical_id(directory) == "ThingGetFunction"


def test_two_routes_in_one_handler_are_refused(tmp_path: Path) -> None:
    directory = _function(tmp_path, ROUTE + ROUTE.replace("def get", "def get2"))
    with pytest.raises(ValueError, match="one route per handler"):
        template_gen.route_of(directory / "handler.py")


def test_a_declaration_cannot_add_events_to_a_route_or_unknown_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(template_gen, "ROOT", tmp_path)
    events = "Properties:\n  Events:\n    Hourly: {Type: Schedule, Properties: {Schedule: rate(1 hour)}}\n"
    directory = _function(tmp_path, ROUTE, events)
    with pytest.raises(ValueError, match="Api event comes from its decorator"):
        template_gen._block(directory)
    (directory / "function.yaml").write_text("Timeout: 30\n")
    with pytest.raises(ValueError, match="unknown keys"):
        template_gen._block(directory)
    (directory / "function.yaml").write_text("# long reads\nProperties:\n  Timeout: 30  # seconds\n")
    block = template_gen._block(directory)
    assert block.startswith("  # long reads\n  ThingGetFunction:\n")
    assert "      Timeout: 30  # seconds\n" in block
    assert '{RestApiId: !Ref Api, Path: "/api/v1/things/{thingId}", Method: get}' in block
