"""The bench's pure helpers: statistics, tables, the DynamoDB call counter, verdicts.

Nothing here times anything: speed is measured by ``make bench`` only.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from bench import importtime
from bench.cold import ColdReport, Measurement, Plan, Sample, Target, lambda_environment, plan, round_order
from bench.cold_report import goals, render_goals, unexpected_heavy
from bench.ddb import Request, Result, Scenario, verdict
from bench.ddb_calls import CallLog, count_calls, items_read
from bench.routes import concrete_path, path_parameters
from bench.stats import Summary, median, percentile, ratio
from bench.table import render
from infra.template import Function


def test_percentile_interpolates_between_ranks() -> None:
    samples = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0]
    assert median(samples) == 55.0
    assert percentile(samples, 0.9) == pytest.approx(91.0)
    assert percentile(samples, 0.0) == 10.0
    assert percentile(samples, 1.0) == 100.0


def test_percentile_ignores_input_order_and_rejects_nonsense() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


def test_summary_and_ratio() -> None:
    summary = Summary.of([5.0, 1.0, 3.0, 2.0, 4.0, 6.0, 7.0])
    assert (summary.median, summary.runs) == (4.0, 7)
    assert summary.p90 == pytest.approx(6.4)
    assert ratio(300.0, 150.0) == 2.0
    assert ratio(1.0, None) is None
    assert ratio(1.0, 0.0) is None


def test_render_pads_columns_and_aligns_numbers_right() -> None:
    table = render(["name", "ms"], [["health", "1,234"], ["v", "9"]], align_right=[1])
    assert table.splitlines() == [
        "| name   |    ms |",
        "|--------|------:|",
        "| health | 1,234 |",
        "| v      |     9 |",
    ]


def test_render_refuses_ragged_rows() -> None:
    with pytest.raises(ValueError):
        render(["a", "b"], [["only one"]])


def test_items_read_per_operation() -> None:
    assert items_read("Query", {"Count": 2, "ScannedCount": 40}) == 40
    assert items_read("GetItem", {"Item": {"pk": {"S": "x"}}}) == 1
    assert items_read("GetItem", {}) == 0
    assert items_read("BatchGetItem", {"Responses": {"t": [{}, {}], "u": [{}]}}) == 3
    assert items_read("PutItem", {}) == 0


def test_count_calls_counts_dynamodb_calls_by_operation_and_nothing_else() -> None:
    # GIVEN stubbed DynamoDB and S3 clients (no network)
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    s3 = boto3.client("s3", region_name="us-east-1")
    with Stubber(dynamodb) as ddb_stub, Stubber(s3) as s3_stub:
        ddb_stub.add_response("query", {"Items": [], "Count": 0, "ScannedCount": 7})
        ddb_stub.add_response("query", {"Items": [], "Count": 0, "ScannedCount": 3})
        ddb_stub.add_response("get_item", {"Item": {"pk": {"S": "a"}}})
        ddb_stub.add_client_error("put_item", service_error_code="ConditionalCheckFailedException")
        s3_stub.add_response("list_buckets", {"Buckets": []})
        # WHEN
        with count_calls() as calls:
            dynamodb.query(
                TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "x"}}
            )
            dynamodb.query(
                TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "y"}}
            )
            dynamodb.get_item(TableName="t", Key={"pk": {"S": "a"}})
            with pytest.raises(ClientError):
                dynamodb.put_item(TableName="t", Item={"pk": {"S": "a"}})
            s3.list_buckets()
    # THEN a failed call is still a billed round trip; S3 is not DynamoDB
    assert dict(calls.by_operation) == {"Query": 2, "GetItem": 1, "PutItem": 1}
    assert calls.total == 4
    assert calls.items_read == 11
    assert calls.describe() == "1 GetItem, 1 PutItem, 2 Query"


def test_count_calls_stops_counting_after_the_block() -> None:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    with Stubber(dynamodb) as stub:
        stub.add_response("get_item", {})
        with count_calls() as calls:
            pass
        dynamodb.get_item(TableName="t", Key={"pk": {"S": "a"}})
    assert calls.total == 0


def _result(size: int, operations: dict[str, int], read: int = 0, status: int = 200) -> Result:
    log = CallLog()
    for operation, n in operations.items():
        for _ in range(n):
            log.record(operation, None)
    log.items_read = read
    return Result(Scenario("GET /x", lambda _t: Request("GET", "/x")), size, status, log)


def test_verdict_flags_growth_in_calls_or_items_read_and_any_scan() -> None:
    assert verdict([_result(0, {"Query": 1}, read=20), _result(2000, {"Query": 1}, read=20)]) == "flat"
    assert verdict([_result(2000, {"Query": 5}), _result(0, {"Query": 1})]) == "GROWS"
    assert verdict([_result(0, {"Query": 1}, read=0), _result(2000, {"Query": 1}, read=2000)]) == "GROWS"
    assert verdict([_result(0, {"Scan": 1}), _result(2000, {"Scan": 1})]) == "SCAN"


def test_a_route_that_fails_is_an_error_not_a_flat_cost() -> None:
    # a 500 makes one call whatever the table holds: "flat" would hide a broken route
    assert verdict([_result(0, {"Query": 1}, status=500), _result(2000, {"Query": 1}, status=500)]) == "ERROR"
    assert verdict([_result(0, {"Query": 1}), _result(2000, {"Query": 1}, status=503)]) == "ERROR"
    assert verdict([_result(0, {}, status=401), _result(2000, {}, status=401)]) == "flat"


def _plan(functions: int, *, budget: float | None = 150.0, cpus: int = 2) -> Plan:
    return plan(
        functions=functions, references=5, seconds_per_run=1.0, runs=7, min_runs=3, budget_seconds=budget, cpus=cpus
    )


def test_plan_runs_one_cold_start_at_a_time_when_it_fits() -> None:
    assert _plan(4) == Plan(jobs=1, function_runs=7, reference_runs=7, estimate_seconds=63.0)


def test_plan_uses_every_core_then_fewer_function_runs_never_fewer_reference_runs() -> None:
    assert _plan(20) == Plan(jobs=2, function_runs=7, reference_runs=7, estimate_seconds=87.5)
    # (150 s x 2 cores - 5 references x 7 runs) / 62 functions = 4.3 runs each
    assert _plan(62) == Plan(jobs=2, function_runs=4, reference_runs=7, estimate_seconds=141.5)
    assert _plan(500).function_runs == 3  # the floor, even over budget
    assert _plan(62, cpus=1).function_runs == 7  # one core: parallel runs would only queue
    assert _plan(62, budget=None) == Plan(jobs=1, function_runs=7, reference_runs=7, estimate_seconds=469.0)


def test_plan_spreads_function_rounds_over_the_reference_rounds() -> None:
    assert Plan(2, 3, 7, 0).rounds_with_functions() == {0, 3, 6}
    assert Plan(2, 1, 7, 0).rounds_with_functions() == {3}
    assert Plan(1, 7, 7, 0).rounds_with_functions() == set(range(7))


def test_sample_parse_reads_the_last_marker_line_under_handler_logs() -> None:
    report = (
        '{"total_ms": 5.0, "import_ms": 4.0, "call_ms": 1.0, "cpu_ms": 3.0, "import_cpu_ms": 2.5, "modules": 12, '
        '"packages": ["boto3"], '
    )
    stdout = '{"level":"INFO","message":"hi"}\nBENCH-RESULT ' + report + '"status": "200"}\n'
    sample = Sample.parse(stdout)
    assert (sample.total_ms, sample.modules, sample.packages, sample.status) == (5.0, 12, ("boto3",), "200")
    assert (sample.cpu_ms, sample.import_cpu_ms) == (3.0, 2.5)
    with pytest.raises(ValueError):
        Sample.parse("Traceback ...")


def test_heavy_imports_are_allowed_only_where_the_function_names_a_use() -> None:
    login = Function("LoginFunction", "functions/identity/login", "handler.lambda_handler", {})
    me = Function("MeFunction", "functions/identity/me", "handler.lambda_handler", {})
    assert unexpected_heavy(login, ["argon2", "boto3"]) == []
    assert unexpected_heavy(me, ["argon2", "stripe", "pydantic"]) == ["stripe", "argon2"]


def test_concrete_paths_fill_every_parameter() -> None:
    path = concrete_path("/api/v1/users/{userId}/files/{key+}")
    assert "{" not in path
    params = path_parameters("/api/v1/users/{userId}/files/{key+}", path)
    assert set(params) == {"userId", "key"}
    assert params["key"] == "bench/path"


def test_fastapi_monolith_serves_every_template_route_in_the_envelope() -> None:
    fastapi_app = pytest.importorskip("bench.fastapi_app", reason="bench-only dependencies: make bench installs them")
    from infra import template
    from infra.local.events import LambdaContext, api_event

    app = fastapi_app.create_app(fastapi_app.load_routes())
    served = {(m, r.path) for r in app.routes for m in getattr(r, "methods", ())}
    assert {(r.method, fastapi_app.fastapi_path(r.path)) for r in template.routes()} <= served
    response = fastapi_app.handler(
        api_event("GET", "/api/version", "/api/version", headers={"Accept": "*/*"}), LambdaContext("FastApiMonolith")
    )
    assert response["statusCode"] == 200
    assert '"success":true' in response["body"]


def _measured(key: str, cpu: list[float], route: str | None = "GET /x") -> Measurement:
    samples = [Sample(c, c, 0.0, c, c * 0.9, 100, (), "200") for c in cpu]
    return Measurement(Target(key, key, "souk", {}, route), samples)


def _report(functions: list[Measurement], floor: float, fastapi: float) -> ColdReport:
    return ColdReport(
        functions=functions,
        floor=_measured("floor", [floor], None),
        fastapi={"GET /x": _measured("fastapi", [fastapi])},
        plan=Plan(1, 1, 1, 0.0),
    )


def test_goals_are_taken_on_median_cpu_time_against_the_floor_of_the_same_run() -> None:
    functions = [
        _measured("HealthFunction", [110.0, 112.0, 500.0]),  # one slow sample: the median ignores it
        _measured("VersionFunction", [120.0]),
        _measured("OrderCreate", [170.0]),
        _measured("Worker", [190.0], route=None),  # not a route: out of the route median, in the slowest
    ]
    found = {g.name: g for g in goals(_report(functions, floor=100.0, fastapi=300.0))}
    assert found["median of 3 routes"].value == pytest.approx(1.2)
    assert found["median of 3 routes"].met
    assert found["HealthFunction"].value == pytest.approx(1.12) and found["HealthFunction"].met
    assert found["VersionFunction"].value == pytest.approx(1.2) and not found["VersionFunction"].met
    assert found["slowest function"].value == pytest.approx(1.9) and not found["slowest function"].met
    assert found["slowest function"].detail == "Worker; 1 over the limit"
    assert found["FastAPI+Mangum / our route median"].value == pytest.approx(2.5)
    assert found["FastAPI+Mangum / our route median"].met
    # the same ratios on each target's least disturbed run, beside the verdict
    assert found["HealthFunction"].fastest == pytest.approx(1.10)
    assert found["median of 3 routes"].fastest == pytest.approx(1.2)
    table = render_goals(list(found.values()))
    assert "missed by 0.05x" in table and "missed by 0.10x" in table
    assert "on the fastest runs" in table


def test_lambda_environment_is_the_runtimes_over_the_templates() -> None:
    from pathlib import Path

    env = lambda_environment(
        "Fn", "handler.lambda_handler", 256, Path("/task"), {"TABLE_NAME": "t", "AWS_REGION": "eu-west-3"}
    )
    assert env["TABLE_NAME"] == "t"
    assert env["AWS_REGION"] == "us-east-1"  # the runtime's value wins
    assert env["LAMBDA_TASK_ROOT"] == "/task" and env["_HANDLER"] == "handler.lambda_handler"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-") and env["_X_AMZN_TRACE_ID"].endswith(";Sampled=1")


IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |     botocore.compat
import time:       300 |        400 |   botocore
import time:        50 |        450 | boto3
import time:        20 |         20 |     pydantic_core
import time:       200 |        220 |   pydantic
import time:        10 |         10 |   souk.settings
import time:        30 |        260 | souk.http
"""


def test_importtime_parses_nesting_and_finds_who_imported_each_package() -> None:
    entries = importtime.parse("noise\n" + IMPORTTIME)
    assert [e.module for e in entries][:3] == ["botocore.compat", "botocore", "boto3"]
    assert [e.depth for e in entries] == [2, 1, 0, 2, 1, 1, 0]
    assert importtime.by_package(entries) == {"botocore": 400, "pydantic": 200, "boto3": 50, "souk": 40,
                                              "pydantic_core": 20}  # fmt: skip
    chains = importtime.first_chains(entries)
    assert chains["botocore"] == ["boto3", "botocore"]
    assert chains["pydantic_core"] == ["souk.http", "pydantic", "pydantic_core"]
    assert [e.module for e in importtime.own_modules(entries)] == ["souk.http", "souk.settings"]


def test_a_round_samples_the_floor_three_times_spread_over_it() -> None:
    floor = Target("floor", "floor", "floor", {})
    functions = [Target(f"f{i}", f"f{i}", "souk", {}) for i in range(10)]
    order = [t.key for t in round_order([floor, *functions])]
    assert order.count("floor") == 3
    assert [k for k in order if k != "floor"] == [f"f{i}" for i in range(10)]  # every function once, in order
    assert [i for i, k in enumerate(order) if k == "floor"] == [0, 5, 10]
    assert [t.key for t in round_order(functions)] == [f"f{i}" for i in range(10)]  # no floor: unchanged
