"""The build that deploys: `make build`, then every built handler imported as Lambda would.

The stack is built twice per session, offline (no credentials, no Docker): once for this
host's architecture, whose layer this host can import, and once with the template's
defaults (arm64), the build that deploys, whose layer must hold aarch64 binaries. Every
function of the built template is then imported in a fresh ``python3.12 -I -S`` whose
path holds only the function's built folder and the layer's ``python/`` (the layer pins
its own boto3), with the environment Lambda sets. Selected with ``-m build``.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from infra import build, template

pytestmark = pytest.mark.build

ROOT = template.ROOT
PROBE = Path(__file__).with_name("lambda_probe.py")
HOST_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]
ELF_MACHINE = {"x86_64": 0x3E, "arm64": 0xB7}
WHEEL_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}
# What pip's markers see on Lambda's python3.12 runtime.
LAMBDA_MARKERS = {
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "platform_python_implementation": "CPython",
    "implementation_name": "cpython",
}
DEV_ONLY = {"moto", "pytest", "pytest-xdist", "cfn-lint", "aws-sam-translator", "pyyaml", "ruff", "mypy"}
IMPORT_WORKERS = 2  # the machine's cores


@dataclass(frozen=True)
class BuiltFunction:
    logical_id: str
    code_dir: Path
    handler: str
    memory: int
    environment: dict[str, str]


def _make_build(build_dir: Path, arch: str | None) -> Path:
    """`make build` into ``build_dir`` (``arch`` None: the template's default)."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"}}
    command = ["make", "--no-print-directory", "build", f"BUILD_DIR={build_dir}"]
    if arch:
        command.append(f"ARCH={arch}")
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{output[-6000:]}"
    summary = [line for line in output.splitlines() if line.startswith(("Built ", "Layer ", "  of Lambda"))]
    print(f"\n{' '.join(command)}: {time.monotonic() - started:.0f} s\n" + "\n".join(summary))
    return build_dir


@pytest.fixture(scope="module")
def host_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make_build(tmp_path_factory.mktemp("sam") / f"build-{HOST_ARCH}", HOST_ARCH)


@pytest.fixture(scope="module")
def default_build(tmp_path_factory: pytest.TempPathFactory, host_build: Path) -> Path:
    """The build `make build` makes with no arguments: the one that deploys (arm64)."""
    default_arch = template.load()["Parameters"]["Architecture"]["Default"]
    if default_arch == HOST_ARCH:
        return host_build
    return _make_build(tmp_path_factory.mktemp("sam") / "build-default", None)


@pytest.fixture(scope="module")
def runtime_python() -> str:
    found = subprocess.run([str(ROOT / "infra" / "find-python.sh")], capture_output=True, text=True, check=True)
    python = found.stdout.strip()
    version = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
    assert version.stdout.strip() == "(3, 12)", f"{python} is not Python 3.12, the Lambda runtime"
    return python


def _resolve(name: str, value: Any, doc: dict[str, Any]) -> str:
    """An environment value of the built template, with a stand-in for what CloudFormation resolves."""
    if isinstance(value, str | int | float):
        return str(value)
    ref = value.get("Ref") if isinstance(value, dict) else None
    if ref in doc.get("Parameters", {}):
        return str(doc["Parameters"][ref].get("Default", ""))
    if ref in doc["Resources"]:
        if doc["Resources"][ref]["Type"] == "AWS::SQS::Queue":
            return f"https://sqs.us-east-1.amazonaws.com/123456789012/souk-dev-{ref}"
        return f"souk-dev-{ref.lower()}"
    return f"dummy-{name.lower()}"


def built_functions(build_dir: Path) -> list[BuiltFunction]:
    doc = template.load(build_dir / "template.yaml")
    defaults = doc.get("Globals", {}).get("Function", {})
    found = []
    for logical_id, resource in doc["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        variables = {**defaults.get("Environment", {}).get("Variables", {})}
        variables.update(props.get("Environment", {}).get("Variables", {}))
        environment = {name: _resolve(name, value, doc) for name, value in variables.items()}
        found.append(
            BuiltFunction(
                logical_id,
                build_dir / props["CodeUri"],
                props.get("Handler", defaults.get("Handler")),
                int(props.get("MemorySize", defaults.get("MemorySize", 128))),
                environment,
            )
        )
    return found


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def lambda_environment(function: BuiltFunction, **overrides: str) -> dict[str, str]:
    """What Lambda's python3.12 runtime sets, the function's template environment, then ``overrides``."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(function.code_dir),
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "_HANDLER": function.handler,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": f"souk-dev-{function.logical_id}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/souk/dev/functions",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2025/01/01/[$LATEST]0123456789abcdef",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "example-secret",
        "AWS_SESSION_TOKEN": "example-token",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "_X_AMZN_TRACE_ID": "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",
        **function.environment,
        # No AWS here: any call goes to a closed local port and fails at once.
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}",
        **overrides,
    }


def probe(
    python: str, function: BuiltFunction, layer: Path, report: Path, event: Path | None = None, **env: str
) -> dict[str, Any]:
    """Import (and with ``event``, invoke) ``function`` in a fresh interpreter; its report or its failure."""
    command = [python, "-I", "-S", str(PROBE), str(function.code_dir), str(layer), function.handler, str(report)]
    if event is not None:
        command.append(str(event))
    result = subprocess.run(
        command, env=lambda_environment(function, **env), capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        return {"failed": result.returncode, "stderr": result.stderr[-4000:]}
    return dict(json.loads(report.read_text()))


@pytest.fixture(scope="module")
def import_reports(host_build: Path, runtime_python: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    layer = host_build / build.LAYER / "python"
    reports = tmp_path_factory.mktemp("probe")
    functions = built_functions(host_build)
    with ThreadPoolExecutor(IMPORT_WORKERS) as pool:
        results = pool.map(lambda f: probe(runtime_python, f, layer, reports / f"{f.logical_id}.json"), functions)
        return {f.logical_id: r for f, r in zip(functions, results, strict=True)}


def test_built_template_has_every_function_of_the_template(host_build: Path) -> None:
    built = {f.logical_id for f in built_functions(host_build)}
    assert built == {f.logical_id for f in template.functions()}
    for function in built_functions(host_build):
        assert (function.code_dir / "handler.py").is_file(), function


@pytest.mark.parametrize("function_id", [f.logical_id for f in template.functions()])
def test_every_built_handler_imports_from_its_folder_and_the_layer_alone(
    function_id: str, import_reports: dict[str, Any], host_build: Path
) -> None:
    report = import_reports[function_id]
    assert "failed" not in report, report.get("stderr")
    assert report["callable"]
    # Nothing came from anywhere but the function's folder, the layer and the standard library.
    assert report["outside"] == []
    assert report["souk"].startswith(str(host_build / build.LAYER / "python" / "souk"))


def _layer_distributions(build_dir: Path) -> dict[str, metadata.Distribution]:
    layer = build_dir / build.LAYER / "python"
    return {canonicalize_name(d.metadata["Name"]): d for d in metadata.distributions(path=[str(layer)])}


def _runtime_closure(dists: dict[str, metadata.Distribution], arch: str) -> tuple[set[str], list[str]]:
    """Every distribution requirements.txt needs on Lambda, and the pins the layer breaks."""
    markers = {**LAMBDA_MARKERS, "platform_machine": WHEEL_ARCH[arch]}
    pending = [
        Requirement(line.split("#", 1)[0].strip())
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.split("#", 1)[0].strip()
    ]
    wrong = [f"{r} (layer has {dists[canonicalize_name(r.name)].version})" for r in pending
             if canonicalize_name(r.name) in dists
             and dists[canonicalize_name(r.name)].version not in r.specifier]  # fmt: skip
    needed: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        extras = requirement.extras or {""}
        if name in needed and not requirement.extras:
            continue
        needed.add(name)
        if name not in dists:
            continue
        for raw in dists[name].requires or []:
            dependency = Requirement(raw)
            if dependency.marker is None or any(
                dependency.marker.evaluate({**markers, "extra": extra}) for extra in extras
            ):
                pending.append(dependency)
    return needed, wrong


def test_layer_holds_the_runtime_requirements_at_their_pins_and_nothing_else(default_build: Path) -> None:
    dists = _layer_distributions(default_build)
    needed, wrong_pins = _runtime_closure(dists, "arm64")
    assert needed - set(dists) == set(), "runtime dependencies missing from the layer"
    assert wrong_pins == []
    assert set(dists) - needed == set(), "packages in the layer that requirements.txt does not need"
    assert DEV_ONLY & set(dists) == set()
    # The SDK is pinned in the layer: the runtime's own boto3 is never the one imported.
    assert "boto3" in dists


def test_layer_ships_no_scripts_or_test_folders(default_build: Path) -> None:
    layer = default_build / build.LAYER / "python"
    assert not (layer / "bin").exists()
    assert sorted(str(p.relative_to(layer)) for p in layer.rglob("tests") if p.is_dir()) == []
    assert not (layer / "test").exists()


def test_layer_bytecode_is_compiled_and_unchecked(default_build: Path) -> None:
    # Unchecked-hash .pyc (flags 0b01): Lambda's read-only /opt keeps them, whatever the mtimes.
    layer = default_build / build.LAYER / "python"
    sources = list(layer.rglob("*.py"))
    assert len([s for s in sources if "souk" in s.relative_to(layer).parts[:1]]) > 50
    missing, checked = [], []
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-312.pyc"
        if not compiled.is_file():
            missing.append(str(source.relative_to(layer)))
        elif int.from_bytes(compiled.read_bytes()[4:8], "little") != 0b01:
            checked.append(str(source.relative_to(layer)))
    assert missing == []
    assert checked == []


def _elf_machines(layer: Path) -> dict[str, int]:
    found = {}
    for path in layer.rglob("*.so*"):
        if path.is_file():
            with path.open("rb") as handle:
                header = handle.read(20)
            if header[:4] == b"\x7fELF":
                found[str(path.relative_to(layer))] = int.from_bytes(header[18:20], "little")
    return found


@pytest.mark.parametrize("which", ["default", "host"])
def test_layer_binaries_are_built_for_the_target_architecture(which: str, request: pytest.FixtureRequest) -> None:
    build_dir: Path = request.getfixturevalue(f"{which}_build")
    arch = "arm64" if which == "default" else HOST_ARCH
    layer = build_dir / build.LAYER / "python"
    machines = _elf_machines(layer)
    assert any(name.startswith("pydantic_core/") for name in machines)
    assert {name: m for name, m in machines.items() if m != ELF_MACHINE[arch]} == {}
    assert list(layer.glob(f"pydantic_core/_pydantic_core.cpython-312-{WHEEL_ARCH[arch]}-linux-gnu.so"))
    # Each platform wheel pip chose carries the target's tag.
    for dist in metadata.distributions(path=[str(layer)]):
        wheel = dist.read_text("WHEEL") or ""
        if "Root-Is-Purelib: false" in wheel:
            tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
            assert tags and all(tag.endswith(WHEEL_ARCH[arch]) for tag in tags), (dist.metadata["Name"], tags)


def test_layer_fits_lambdas_unzipped_limit(default_build: Path) -> None:
    layer, largest_function = build.sizes(default_build)
    print(f"\nlayer {layer:,} bytes unzipped + largest function {largest_function:,} bytes "
          f"of Lambda's {build.LAMBDA_UNZIPPED_LIMIT:,}")  # fmt: skip
    assert layer > 10_000_000  # a layer without its dependencies weighs under 2 MB
    assert layer + largest_function < build.LAMBDA_UNZIPPED_LIMIT


def _health_event() -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event for GET /api/health, as the dev stage receives it."""
    return {
        "resource": "/api/health",
        "path": "/api/health",
        "httpMethod": "GET",
        "headers": {"Accept": "application/json", "Host": "abc123.execute-api.us-east-1.amazonaws.com"},
        "multiValueHeaders": {
            "Accept": ["application/json"],
            "Host": ["abc123.execute-api.us-east-1.amazonaws.com"],
        },
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": "/api/health",
            "httpMethod": "GET",
            "path": "/dev/api/health",
            "stage": "dev",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "requestTime": "09/Apr/2025:12:34:56 +0000",
            "requestTimeEpoch": 1744202096000,
            "accountId": "123456789012",
            "apiId": "abc123",
            "protocol": "HTTP/1.1",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


@pytest.fixture(scope="module")
def health(host_build: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[BuiltFunction, Path, Path]:
    function = next(f for f in built_functions(host_build) if f.logical_id == "HealthFunction")
    folder = tmp_path_factory.mktemp("health")
    event = folder / "event.json"
    event.write_text(json.dumps(_health_event()))
    return function, host_build / build.LAYER / "python", event


def _answer(report: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    assert "failed" not in report, report.get("stderr")
    response = report["response"]
    # Powertools answers a REST event that has multiValueHeaders in kind.
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    headers.update({k.lower(): v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()})
    assert headers["content-type"].startswith("application/json")
    assert headers["x-request-id"] == _health_event()["requestContext"]["requestId"]
    return response["statusCode"], json.loads(response["body"])


def test_health_says_503_in_the_envelope_when_aws_is_unreachable(
    health: tuple[BuiltFunction, Path, Path], runtime_python: str, tmp_path: Path
) -> None:
    # GIVEN the built health function and layer, with every AWS endpoint a closed port
    function, layer, event = health
    # WHEN API Gateway's event reaches its handler in a fresh Lambda-like interpreter
    status, body = _answer(probe(runtime_python, function, layer, tmp_path / "report.json", event))
    # THEN it answers the contract's 503 envelope, naming every dependency as unreachable
    assert status == 503
    assert body["success"] is False
    assert body["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert body["error"]["message"]
    assert body["meta"]["requestId"]
    assert set(body) == {"success", "error", "data", "meta"}
    checks = body["data"]["checks"]
    assert set(checks) == {"table", "uploadsBucket", "exportsBucket", "emailQueue", "payoutsQueue", "exportsQueue"}
    assert [name for name, check in checks.items() if check["ok"]] == []


def test_health_says_200_when_its_table_buckets_and_queues_answer(
    health: tuple[BuiltFunction, Path, Path], runtime_python: str, tmp_path: Path
) -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    # GIVEN a local AWS (moto) holding the function's table, buckets and queues
    function, layer, event = health
    port = _closed_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        aws = {"endpoint_url": endpoint, "region_name": "us-east-1"}
        env = {"AWS_ENDPOINT_URL": endpoint}
        boto3.client("dynamodb", **aws).create_table(TableName=function.environment["TABLE_NAME"], **{
            k: v for k, v in template.table_definition().items() if k != "StreamSpecification"})  # fmt: skip
        for bucket in ("UPLOADS_BUCKET", "EXPORTS_BUCKET"):
            boto3.client("s3", **aws).create_bucket(Bucket=function.environment[bucket])
        for queue in ("EMAIL_QUEUE_URL", "PAYOUTS_QUEUE_URL", "EXPORTS_QUEUE_URL"):
            env[queue] = boto3.client("sqs", **aws).create_queue(QueueName=queue.lower())["QueueUrl"]
        # WHEN the built handler answers API Gateway's event
        status, body = _answer(probe(runtime_python, function, layer, tmp_path / "report.json", event, **env))
    finally:
        server.stop()
    # THEN every dependency is reachable through the layer's own boto3
    assert status == 200, body
    assert body["success"] is True
    assert body["data"]["status"] == "ok"
    assert all(check["ok"] for check in body["data"]["checks"].values())
    assert body["meta"]["requestId"]
