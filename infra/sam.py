"""Run the SAM transform offline, as CloudFormation would, to count the real resources.

CodeUri/ContentUri are swapped for s3:// stand-ins (the transform wants S3 locations
when it is not run by `sam build`), and managed policies come from a stub loader.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from infra import template


class _OfflinePolicyLoader:
    def load(self) -> dict[str, str]:
        return {}


def _with_s3_code(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for resource in doc["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://souk-artifacts/{props[key].strip('/')}.zip"
    return doc


def transformed(overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """The CloudFormation template that the SAM transform produces from template.yaml.

    Parameters take their defaults, or the value in ``overrides``.
    """
    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # pseudo parameters need a region

    parameters = {k: v.get("Default") for k, v in template.load().get("Parameters", {}).items()}
    parameters.update(overrides or {})
    parameters.update({"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"})
    return transform(_with_s3_code(template.load()), parameters, _OfflinePolicyLoader())  # type: ignore[arg-type]


def resource_count(overrides: dict[str, str] | None = None) -> int:
    return len(transformed(overrides)["Resources"])


if __name__ == "__main__":
    from collections import Counter

    resources = transformed()["Resources"]
    for kind, count in Counter(r["Type"] for r in resources.values()).most_common():
        print(f"{count:5d}  {kind}")
    print(f"{len(resources):5d}  total (CloudFormation's limit is 500; ours is 400)")
