"""`bh-provider-aws`: the plugin (started by `bh`); `bh-provider-aws refresh` rebuilds the price catalog."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import boto3
import click

from benchhub.providers.aws import pricing
from benchhub.providers.aws.errors import translated
from benchhub.providers.aws.provider import AwsProvider
from benchhub.providers.aws.regions import CLIENT_CONFIG
from benchhub.providers.sdk import serve
from benchhub.providers.sdk.errors import ProviderError


@click.command(name="refresh")
@click.option("--out", type=click.Path(path_type=Path), default=pricing.BUNDLED, show_default=True)
@click.option("--region", "regions", multiple=True, help="Region to price (default: the catalog's).")
@click.option("--instance-type", "instance_types", multiple=True, help="Type (default: the catalog's).")
@click.option("--profile", default=None, help="boto3 profile (credentials from boto3's standard chain).")
def refresh(
    out: Path, regions: tuple[str, ...], instance_types: tuple[str, ...], profile: str | None
) -> None:
    """Rebuild the EC2 price catalog from the AWS Price List API and the spot price history."""
    current = pricing.bundled()
    regions = regions or tuple(current.regions())
    instance_types = instance_types or tuple(sorted({e.instance_type for e in current.entries}))
    session = boto3.session.Session(profile_name=profile)
    try:
        with translated("refreshing the price catalog"):
            catalog = pricing.refresh(
                session.client("pricing", region_name=pricing.PRICING_REGION, config=CLIENT_CONFIG),
                {r: session.client("ec2", region_name=r, config=CLIENT_CONFIG) for r in regions},
                instance_types,
                dt.date.today(),
            )
    except ProviderError as failed:
        raise click.ClickException(failed.message) from None
    catalog.write(out)
    click.echo(f"wrote {len(catalog.entries)} prices for {len(regions)} regions to {out}")


def main() -> None:
    if sys.argv[1:2] == ["refresh"]:
        refresh.main(sys.argv[2:], prog_name="bh-provider-aws refresh")
    serve(AwsProvider())


if __name__ == "__main__":
    main()
