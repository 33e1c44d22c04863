"""jesign's SDK: the integrator's client for jesignexpert.com (SSO login, registration, signing, sealing).

The client itself arrives with the SDK issue; for now the package holds the version and the CLI entry point.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("jesign")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
