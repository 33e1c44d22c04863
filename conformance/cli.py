"""``jesign-conformance``: runs conformance plans against a deployment. The plans arrive with their issue."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="jesign")
def main() -> None:
    """Check a jesign deployment against the registration and PKI rules."""
