"""bh-provider-aws with INJECTED EC2 errors, for tests through `bh apply`: moto never runs out of capacity.

`BH_TEST_AWS_INJECT` lists `Operation=ErrorCode@instance-type` rules separated by commas, e.g.
`RunInstances=InsufficientInstanceCapacity@t3.medium`: that call fails with that AWS error for that
instance type (at the botocore level, see `cloud.helpers.inject_error`); everything else reaches moto.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
from cloud.helpers import inject_error

from benchhub.providers.aws.provider import AwsProvider, default_session
from benchhub.providers.sdk import serve

RULES_ENV = "BH_TEST_AWS_INJECT"


def injecting_session(profile: str | None) -> boto3.session.Session:
    session = default_session(profile)
    for rule in filter(None, os.environ.get(RULES_ENV, "").split(",")):
        operation, _, rest = rule.partition("=")
        code, _, instance_type = rest.partition("@")
        inject_error(session, operation, code, when=lambda body, t=instance_type: body["InstanceType"] == t)
    return session


if __name__ == "__main__":
    serve(AwsProvider(injecting_session))
