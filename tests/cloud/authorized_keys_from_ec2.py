"""sshd's AuthorizedKeysCommand for the stand-in VM of the cloud tests.

A real instance gets its login key from the cloud (cloud-init reads the key pair from instance metadata).
moto's instances do not boot, so the test sshd asks moto instead: it accepts the public key of every
BenchHub key pair moto holds in the given regions. Usage: authorized_keys_from_ec2.py ENDPOINT REGION...
"""

from __future__ import annotations

import sys

import boto3


def main(endpoint: str, regions: list[str]) -> None:
    for region in regions:
        ec2 = boto3.client(
            "ec2",
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id="testing",  # moto's server accepts any credentials
            aws_secret_access_key="testing",
        )
        pairs = ec2.describe_key_pairs(
            Filters=[{"Name": "tag:benchhub:managed", "Values": ["true"]}], IncludePublicKey=True
        )
        for pair in pairs["KeyPairs"]:
            print(pair["PublicKey"].strip())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
