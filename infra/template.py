"""Read template.yaml: the single source of truth for routes, consumers and schedules.

The local runner, the OpenAPI generator, the benchmark and the tests all ask this module
what the template declares, so nothing keeps a second list of routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation short-form intrinsics (!Ref, !GetAtt, !Sub...)."""


def _intrinsic(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: str
    handler: str
    properties: dict[str, Any] = field(hash=False, compare=False)

    @property
    def handler_file(self) -> Path:
        module = self.handler.rsplit(".", 1)[0]
        return ROOT / self.code_uri / f"{module.replace('.', '/')}.py"

    @property
    def handler_name(self) -> str:
        return self.handler.rsplit(".", 1)[1]


# API Gateway's integration timeout for a Lambda, unless the Api event sets TimeoutInMillis.
INTEGRATION_TIMEOUT_MS = 29_000


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # API Gateway form: /api/v1/users/{userId}
    function: Function
    timeout_ms: int = INTEGRATION_TIMEOUT_MS  # how long API Gateway waits for the function


@dataclass(frozen=True)
class QueueConsumer:
    queue: str  # logical id of the AWS::SQS::Queue
    batch_size: int
    function: Function


@dataclass(frozen=True)
class Schedule:
    name: str
    expression: str  # rate(...) or cron(...)
    function: Function


@cache
def load(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def resources(kind: str | None = None) -> dict[str, dict[str, Any]]:
    all_resources: dict[str, dict[str, Any]] = load()["Resources"]
    return {k: v for k, v in all_resources.items() if kind is None or v["Type"] == kind}


def functions(doc: dict[str, Any] | None = None) -> list[Function]:
    """The template's functions; with ``doc``, that document's (an extra template: Globals still ours)."""
    globals_ = load().get("Globals", {}).get("Function", {})
    found = []
    for logical_id, resource in (doc or load())["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        handler = props.get("Handler", globals_.get("Handler"))
        found.append(Function(logical_id, props["CodeUri"].rstrip("/"), handler, props))
    return found


def _events(kind: str, doc: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any], Function]]:
    return [
        (name, event.get("Properties", {}), fn)
        for fn in functions(doc)
        for name, event in (fn.properties.get("Events") or {}).items()
        if event["Type"] == kind
    ]


def routes(doc: dict[str, Any] | None = None) -> list[Route]:
    return [Route(p["Method"].upper(), p["Path"], fn, int(p.get("TimeoutInMillis", INTEGRATION_TIMEOUT_MS)))
            for _, p, fn in _events("Api", doc)]  # fmt: skip


def queue_consumers() -> list[QueueConsumer]:
    return [QueueConsumer(p["Queue"]["Fn::GetAtt"][0], int(p.get("BatchSize", 10)), fn) for _, p, fn in _events("SQS")]


def schedules() -> list[Schedule]:
    return [Schedule(f"{fn.logical_id}.{name}", p["Schedule"], fn) for name, p, fn in _events("Schedule")]


def function_setting(function: Function, name: str, default: Any) -> Any:
    """A function property, else the Globals one, else ``default`` (Timeout, MemorySize...)."""
    globals_ = load().get("Globals", {}).get("Function", {})
    return function.properties.get(name, globals_.get(name, default))


def table_definition() -> dict[str, Any]:
    """CreateTable arguments for the table the template declares (data-plane fields only)."""
    props = next(iter(resources("AWS::DynamoDB::Table").values()))["Properties"]
    return {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "GlobalSecondaryIndexes": props.get("GlobalSecondaryIndexes", []),
        "BillingMode": props["BillingMode"],
        "StreamSpecification": {"StreamEnabled": True, **props["StreamSpecification"]},
    }


def ttl_attribute() -> str:
    props = next(iter(resources("AWS::DynamoDB::Table").values()))["Properties"]
    return str(props["TimeToLiveSpecification"]["AttributeName"])


def queues() -> dict[str, dict[str, Any]]:
    """Queue logical id -> properties, dead-letter queues included."""
    return {k: v.get("Properties", {}) for k, v in resources("AWS::SQS::Queue").items()}


def buckets() -> list[str]:
    return list(resources("AWS::S3::Bucket"))


def gateway_responses() -> dict[str, dict[str, Any]]:
    api = next(iter(resources("AWS::Serverless::Api").values()))
    return dict(api["Properties"].get("GatewayResponses", {}))
