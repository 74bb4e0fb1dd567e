"""Create the template's table, buckets and queues on local AWS (moto or DynamoDB Local).

Physical names are derived from logical ids, and the environment the functions get is
the template's Globals environment with each ``!Ref`` replaced by the local name.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra import template

REGION = "us-east-1"
ACCOUNT = "000000000000"
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": REGION,
                     "AWS_REGION": REGION}  # fmt: skip


def physical_names(prefix: str = "souk-local") -> dict[str, str]:
    """Logical id -> local physical name (table name, bucket name, queue name)."""
    names = {}
    for logical_id, resource in template.resources().items():
        if resource["Type"] in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue"):
            names[logical_id] = f"{prefix}-{logical_id}".lower()
    return names


def create_table(dynamodb: Any, table_name: str) -> None:
    try:
        dynamodb.create_table(TableName=table_name, **template.table_definition())
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
        return
    dynamodb.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    dynamodb.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": template.ttl_attribute()}
    )


def create_resources(prefix: str = "souk-local", *, dynamodb_endpoint: str | None = None) -> dict[str, str]:
    """Create every table, bucket and queue; returns logical id -> physical value for ``!Ref``."""
    names = physical_names(prefix)
    refs: dict[str, str] = {}
    table_id = next(iter(template.resources("AWS::DynamoDB::Table")))
    create_table(boto3.client("dynamodb", region_name=REGION, endpoint_url=dynamodb_endpoint), names[table_id])
    refs[table_id] = names[table_id]
    s3 = boto3.client("s3", region_name=REGION)
    for bucket_id in template.buckets():
        s3.create_bucket(Bucket=names[bucket_id])
        refs[bucket_id] = names[bucket_id]
    sqs = boto3.client("sqs", region_name=REGION)
    queues = template.queues()
    # Dead-letter queues first: the others point at them.
    ordered = sorted(queues, key=lambda q: "RedrivePolicy" in queues[q])
    arns: dict[str, str] = {}
    for queue_id in ordered:
        props = queues[queue_id]
        attributes = {"VisibilityTimeout": str(props.get("VisibilityTimeout", 30))}
        redrive = props.get("RedrivePolicy")
        if redrive:
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": arns[target], "maxReceiveCount": str(redrive["maxReceiveCount"])}
            )
        url = sqs.create_queue(QueueName=names[queue_id], Attributes=attributes)["QueueUrl"]
        arns[queue_id] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        refs[queue_id] = url
    return refs


def _resolve(value: Any, refs: dict[str, str], parameters: dict[str, str]) -> str:
    """A template value with ``!Ref`` and ``!Sub`` resolved to local names and parameter defaults."""
    if isinstance(value, dict) and "Ref" in value:
        return refs.get(value["Ref"], parameters.get(value["Ref"], ""))
    if isinstance(value, dict) and "Fn::Sub" in value:
        pseudo = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::StackName": "souk-local"}
        names = {**pseudo, **parameters, **refs}
        return re.sub(r"\$\{([^}!]+)\}", lambda found: names.get(found.group(1), ""), str(value["Fn::Sub"]))
    return str(value)


def function_environment(refs: dict[str, str], overrides: dict[str, str] | None = None,
                         function: template.Function | None = None) -> dict[str, str]:  # fmt: skip
    """The Globals environment (and ``function``'s own) with ``!Ref``/``!Sub`` resolved locally.

    Parameters take their defaults; ``overrides`` (local secrets and endpoints) win.
    """
    doc = template.load()
    parameters = {k: str(v.get("Default", "")) for k, v in doc.get("Parameters", {}).items()}
    variables = dict(doc["Globals"]["Function"]["Environment"]["Variables"])
    if function is not None:
        variables.update((function.properties.get("Environment") or {}).get("Variables") or {})
    env = {key: _resolve(value, refs, parameters) for key, value in variables.items()}
    # Locally secrets come from the environment, never from Secrets Manager.
    for key in [k for k in env if k.endswith("_SECRET_NAME")]:
        env.pop(key)
    env["SOUK_STAGE"] = "local"
    env["APP_URL"] = "http://localhost:3000"  # links in local emails point at a local client
    env.update(overrides or {})
    return env


def apply_environment(env: dict[str, str]) -> None:
    os.environ.update(LOCAL_CREDENTIALS)
    os.environ.update(env)
