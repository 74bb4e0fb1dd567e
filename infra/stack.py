"""Which table `make admin` and `make seed` write to: the running local stack, or a deployed one.

- ``--table NAME`` (or ``TABLE_NAME`` in the environment): that table, with the AWS
  credentials and region of the environment, at ``--endpoint`` / ``AWS_ENDPOINT_URL_DYNAMODB``
  when one is given (else AWS itself).
- Otherwise the local stack of ``make run``: its table (``souk-local-table``, named like the
  runner names it, from the template) at ``--endpoint`` / ``AWS_ENDPOINT_URL_DYNAMODB``, else
  wherever the runner serves DynamoDB: DynamoDB Local on ``DYNAMODB_PORT`` (8000), or moto
  on ``MOTO_PORT`` (4566) when Java is missing. Local credentials are used, never a real profile.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from infra import template
from infra.local import aws

HOST = "127.0.0.1"


class TargetError(RuntimeError):
    """No table to write to; the message says what to do."""


@dataclass(frozen=True)
class Target:
    table: str
    endpoint: str | None
    local: bool

    def describe(self) -> str:
        where = self.endpoint or f"AWS ({os.environ.get('AWS_REGION') or os.environ.get('AWS_DEFAULT_REGION')})"
        return f"table {self.table} at {where}"


def local_table_name() -> str:
    table_id = next(iter(template.resources("AWS::DynamoDB::Table")))
    return aws.physical_names()[table_id]


def _table_at(table: str, endpoint: str | None) -> str | None:
    """None when the table answers there, else why not (short timeouts: a stopped runner fails fast)."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or aws.REGION
    config = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1})
    client = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint, config=config)
    try:
        client.describe_table(TableName=table)
    except ClientError as exc:
        return str(exc.response.get("Error", {}).get("Code") or exc)
    except BotoCoreError as exc:
        return type(exc).__name__
    return None


def resolve(table: str | None = None, endpoint: str | None = None,
            env: Mapping[str, str] = os.environ) -> Target:  # fmt: skip
    """The target the arguments and the environment name (see the module docstring)."""
    endpoint = endpoint or env.get("AWS_ENDPOINT_URL_DYNAMODB") or None
    table = table or env.get("TABLE_NAME") or None
    if table:
        return Target(table, endpoint, local=False)
    name = local_table_name()
    if endpoint:
        return Target(name, endpoint, local=True)
    return _probe(name, [env.get("DYNAMODB_PORT") or "8000", env.get("MOTO_PORT") or "4566"])


def _probe(name: str, ports: list[str]) -> Target:
    _use_local_credentials()
    tried = []
    for port in ports:
        endpoint = f"http://{HOST}:{port}"
        problem = _table_at(name, endpoint)
        if problem is None:
            return Target(name, endpoint, local=True)
        tried.append(f"{endpoint}: {problem}")
    raise TargetError(f"no local stack with table {name} ({'; '.join(tried)}). Start it with `make run`, "
                      "or pass --table NAME for a deployed stack.")  # fmt: skip


def _use_local_credentials() -> None:
    # The runner's own values: a developer's real profile must never be used against local AWS.
    for leak in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(leak, None)
    os.environ.update(aws.LOCAL_CREDENTIALS)


def connect(target: Target) -> Target:
    """Point every model at the target's table and endpoint; fails clearly when it is not there."""
    if target.local:
        _use_local_credentials()
    problem = _table_at(target.table, target.endpoint)
    if problem is not None:
        raise TargetError(f"cannot use {target.describe()}: {problem}")
    from souk.db.base import configure

    configure(host=target.endpoint, table_name=target.table)
    return target
