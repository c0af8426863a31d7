"""sshd's AuthorizedKeysCommand for the stand-in VM of the cloud tests.

A real instance gets its login key from the cloud (cloud-init reads the key pair from instance metadata).
moto's instances do not boot, so the test sshd asks moto instead: it accepts the public key of every
BenchHub key pair moto holds in the given regions. Usage: authorized_keys_from_ec2.py ENDPOINT REGION...

sshd runs this for every login, so it speaks EC2's query API with the standard library (DescribeKeyPairs,
unsigned: moto's server only reads the region from the Authorization header) instead of importing boto3,
which would add about a second to each SSH connection.
"""

from __future__ import annotations

import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

QUERY = {
    "Action": "DescribeKeyPairs",
    "Version": "2016-11-15",
    "IncludePublicKey": "true",
    "Filter.1.Name": "tag:benchhub:managed",
    "Filter.1.Value.1": "true",
}


def public_keys(endpoint: str, region: str) -> list[str]:
    request = urllib.request.Request(
        endpoint,
        data=urllib.parse.urlencode(QUERY).encode(),
        headers={"Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/ec2/aws4_request"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        tree = ET.fromstring(response.read())
    return [(element.text or "").strip() for element in tree.iter() if element.tag.endswith("publicKey")]


if __name__ == "__main__":
    for region in sys.argv[2:]:
        print("\n".join(public_keys(sys.argv[1], region)))
