"""Which table `make admin` and `make seed` write to: the running local stack, or a deployed one.

- ``--table NAME`` (or ``TABLE_NAME`` in the environment): that table, with the AWS
  credentials and region of the environment, at ``--endpoint`` / ``AWS_ENDPOINT_URL_DYNAMODB``
  when one is given (else AWS itself).
- ``--endpoint URL`` (or ``AWS_ENDPOINT_URL_DYNAMODB``) alone: the local table name there.
- Otherwise the local stack of ``make run``, as its ``<SOUK_LOCAL_DIR>/stack.json`` describes
  it (table and DynamoDB endpoint). No file, or its runner is gone: no stack runs, and
  nothing is tried on default ports that may belong to another stack. Local credentials
  are used, never a real profile.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from infra import template
from infra.local import aws, stackfile


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


NO_STACK = "no local stack is running: start it with `make run`"


def resolve(table: str | None = None, endpoint: str | None = None,
            env: Mapping[str, str] = os.environ) -> Target:  # fmt: skip
    """The target the arguments and the environment name (see the module docstring)."""
    endpoint = endpoint or env.get("AWS_ENDPOINT_URL_DYNAMODB") or None
    table = table or env.get("TABLE_NAME") or None
    if table:
        return Target(table, endpoint, local=False)
    if endpoint:
        return Target(local_table_name(), endpoint, local=True)
    directory = stackfile.local_dir(env)
    running = stackfile.read(directory)
    if running is None:
        raise TargetError(f"{NO_STACK} (looked for {stackfile.path(directory)}; set SOUK_LOCAL_DIR for another "
                          "stack, or pass --table NAME for a deployed one)")  # fmt: skip
    return Target(str(running["table"]), str(running["endpoints"]["dynamodb"]), local=True)


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
