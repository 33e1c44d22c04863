"""The installed version of the ``jesign`` distribution."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("jesign")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
    __version__ = "0+unknown"
