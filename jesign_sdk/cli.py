"""``jesign``: the integrator's command line. Its commands (login, enroll, sign, …) come with the SDK issue."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="jesign")
def main() -> None:
    """Sign and seal PDFs through jesignexpert.com."""
