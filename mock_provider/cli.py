"""``jesign-mock``: run the mock provider and manage its TEST PKI.

- ``jesign-mock serve``: generate the hierarchy on first start, then serve every party with waitress
  (see :mod:`mock_provider.server`).
- ``jesign-mock pki show``: where the CA certificates are, with their fingerprints.
- ``jesign-mock pki regenerate``: retire the hierarchy and make a new one (asks first, unless ``--yes``).

Without jesign's ``mock`` extra, every command (``--help`` included) prints one line naming the install command and
exits with status 1: the command line was right, the environment lacks packages (status 2 is click's, for a
command line to correct).
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import click

from mock_provider.config import ConfigError, MockConfig, load_config
from mock_provider.extra import missing_message

BANNER = r"""
  +--------------------------------------------------------------------------+
  |  jesign MOCK PROVIDER  -  TEST ONLY  -  NOT FOR PRODUCTION               |
  |  Every party here is simulated. Certificates come from a TEST hierarchy, |
  |  identities are not verified, and the mock keeps every private key.      |
  |  Never trust its certificates or signatures outside development and CI.  |
  +--------------------------------------------------------------------------+
"""


def _config(config_file: str | None, overrides: dict[str, Any]) -> MockConfig:
    try:
        return load_config({k: v for k, v in overrides.items() if v is not None}, config_file=config_file)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="TOML configuration file (else $JESIGN_MOCK_CONFIG).",
)
data_dir_option = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="Data folder.")


#: Exit status when the ``mock`` extra is missing.
EXIT_MISSING_EXTRA = 1


class MockCommands(click.Group):
    """The command group, which first checks that the ``mock`` extra is installed (before ``--help``, too)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        message = missing_message("jesign-mock")
        if message is not None:
            click.echo(message, err=True)
            sys.exit(EXIT_MISSING_EXTRA)
        return super().main(*args, **kwargs)


@click.group(cls=MockCommands)
@click.version_option(package_name="jesign")
def main() -> None:
    """The jesign mock provider: SSO, platform, trust provider and PKI, for development and CI."""


@main.command()
@config_option
@data_dir_option
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 8400).")
@click.option("--public-base-url", help="Base URL written into certificates (default: the listening URL).")
@click.option("--workers", type=int, help="Worker processes (default 1).")
@click.option("--threads", type=int, help="Threads per worker (default 4).")
def serve(config_file: str | None, **overrides: Any) -> None:
    """Serve every party of the mock on one port."""
    config = _config(config_file, overrides)
    from mock_provider import server

    address = server.host_port(config.host, config.port)
    try:
        sock = server.listen(config)
    except server.PortInUse as exc:
        raise click.ClickException(
            f"cannot listen on {address}: {exc.strerror}; stop the server using it, or choose another port with --port"
        ) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {address}: {_reason(exc)}") from exc
    from mock_provider.core.services import build_services  # after listen: a port in use is refused at once

    services = build_services(config)
    hierarchy = services.pki.hierarchy()
    pem_dir = _export_pems(services, config)
    services.close()

    click.secho(BANNER, fg="red", bold=True, err=True)
    listen = f"http://{address}"
    click.echo(f"Listening on {listen}")
    from mock_provider.app import PARTIES

    for name, prefix in PARTIES.items():
        if name == "control" and not config.control_plane:
            continue
        click.echo(f"  {name:<10} {listen}{prefix}")
    urls = services.pki.urls
    click.echo(f"  {'ocsp':<10} {urls.ocsp}")
    click.echo(f"  {'tsa':<10} {urls.tsa}")
    click.echo(f"  {'screens':<10} {listen}/  (the registration in a browser)")
    if config.control_plane:
        click.echo(f"  {'console':<10} {listen}/console/")
    click.echo(f"PKI hierarchy generation {hierarchy.generation}; CA certificates (PEM) in {pem_dir}")
    click.echo(f"Database: {_redact(config.resolved_database_url)}")
    click.echo("Stop with Ctrl+C.")
    sys.stdout.flush()
    server.serve(config, sock)


@main.group()
def pki() -> None:
    """Manage the TEST PKI hierarchy."""


@pki.command("show")
@config_option
@data_dir_option
def pki_show(config_file: str | None, **overrides: Any) -> None:
    """Print the hierarchy's certificates and where they are."""
    config = _config(config_file, overrides)
    from cryptography.hazmat.primitives import hashes

    from mock_provider.core.pki.oids import readable_name
    from mock_provider.core.services import build_services

    services = build_services(config)
    hierarchy = services.pki.hierarchy()
    pem_dir = _export_pems(services, config)
    services.close()
    click.echo(f"generation {hierarchy.generation}")
    for role, authority in hierarchy.authorities.items():
        fingerprint = authority.certificate.fingerprint(hashes.SHA256()).hex(":")
        click.echo(f"{role:<12} {readable_name(authority.certificate.subject)}")
        click.echo(f"{'':<12} SHA-256 {fingerprint}")
        click.echo(f"{'':<12} {pem_dir / (role + '.pem')}")


@pki.command("regenerate")
@config_option
@data_dir_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def pki_regenerate(config_file: str | None, yes: bool, **overrides: Any) -> None:
    """Retire the current hierarchy and generate a new one. Certificates issued so far stop validating."""
    config = _config(config_file, overrides)
    if not yes:
        click.confirm("Replace the TEST hierarchy? Every certificate issued under it stops validating", abort=True)
    from mock_provider.core.services import build_services

    services = build_services(config)
    hierarchy = services.pki.regenerate()
    pem_dir = _export_pems(services, config)
    services.close()
    click.echo(f"New hierarchy, generation {hierarchy.generation}; CA certificates in {pem_dir}")


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default="jesign-samples")
def samples(folder: Path) -> None:
    """Write sample material into FOLDER (default ./jesign-samples): an identity card of the seeded accountant
    marie.dupont that passes the registration's rules (recto.jpg, verso.jpg, mrz.txt) and PDFs to sign."""
    from mock_provider.samples import SAMPLE_BIRTH_DATE, SAMPLE_LOGIN, SAMPLE_MOBILE, write_samples

    try:
        written = write_samples(folder)
    except OSError as exc:
        raise click.ClickException(f"cannot write into {folder}: {exc.strerror or exc}") from exc
    for path in written:
        click.echo(str(path))
    click.echo(
        f"The card is {SAMPLE_LOGIN}'s (born {SAMPLE_BIRTH_DATE.isoformat()}, mobile {SAMPLE_MOBILE}).", err=True
    )


def _export_pems(services: Any, config: MockConfig) -> Path:
    from cryptography.hazmat.primitives.serialization import Encoding

    pem_dir = Path(config.data_dir) / "pki"
    pem_dir.mkdir(parents=True, exist_ok=True)
    for role, authority in services.pki.hierarchy().authorities.items():
        (pem_dir / f"{role}.pem").write_bytes(authority.certificate.public_bytes(Encoding.PEM))
    return pem_dir.resolve()


def _reason(exc: OSError) -> str:
    """What went wrong, without the address that ``socket.create_server`` appends to its errors."""
    if isinstance(exc, socket.gaierror) or not exc.errno:
        return exc.strerror or str(exc)
    return os.strerror(exc.errno)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    main()
