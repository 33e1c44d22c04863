"""Configuration of the mock provider: defaults, then a TOML file, then ``JESIGN_MOCK_*`` environment variables.

Each field of :class:`MockConfig` can be set in all three places; later sources win. The file is named by
``JESIGN_MOCK_CONFIG`` (or ``--config`` on the command line) and holds the same keys at its top level::

    port = 8400
    public_base_url = "http://pki.jesign-mock.example.com"
    key_algorithm = "rsa-3072"

An environment variable is the upper-cased field name behind the prefix: ``JESIGN_MOCK_PORT=9000``.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "JESIGN_MOCK_"
CONFIG_FILE_VARIABLE = "JESIGN_MOCK_CONFIG"
KEY_ALGORITHMS = ("ec-p256", "rsa-2048", "rsa-3072")


class ConfigError(ValueError):
    """A configuration value is missing, unknown or malformed."""


@dataclass(frozen=True)
class MockConfig:
    """Every setting of the mock provider, with the embedded defaults."""

    host: str = "127.0.0.1"
    port: int = 8400
    #: The base URL written into certificates (AIA, CRL distribution points, OCSP, CPS). Defaults to the URL
    #: the server listens on; give a public-looking one (not localhost, not an IP address) for certificates
    #: that ETSI linters accept.
    public_base_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path(".jesign-mock"))
    #: An SQLAlchemy URL. Defaults to an SQLite file in ``data_dir``; ``sqlite:///:memory:`` for tests, a
    #: ``postgresql+psycopg://`` URL for a team sharing one instance.
    database_url: str | None = None
    #: Secret from which the key that encrypts private keys at rest is derived. When unset, one is generated
    #: on first start and kept in ``data_dir/secret.key`` (mode 0600).
    secret_key: str | None = None
    #: Algorithm of the keys that the provider generates for subscribers (ec-p256, rsa-2048, rsa-3072).
    key_algorithm: str = "ec-p256"
    #: Algorithm of the CA hierarchy's own keys.
    ca_key_algorithm: str = "ec-p256"
    personal_validity_days: int = 3 * 365
    seal_validity_days: int = 3 * 365
    client_validity_days: int = 5 * 365
    #: How long an OCSP response is valid (nextUpdate - thisUpdate). Cached responses are re-signed once
    #: half of it has passed, as RFC 5019 responders do.
    ocsp_validity_seconds: int = 3600
    #: How long a CRL is valid (nextUpdate - thisUpdate).
    crl_validity_seconds: int = 24 * 3600
    #: Accuracy the TSA claims for its genTime.
    tsa_accuracy_seconds: int = 1
    #: Allow a caller to ask OCSP, CRL and TSA answers at another instant with the X-Jesign-Mock-Time header.
    allow_fake_time: bool = True
    #: Largest request body accepted by OCSP and the TSA.
    max_request_bytes: int = 64 * 1024
    #: How long a request still being answered holds its ``Idempotency-Key`` (seconds, on the wall clock): a retry
    #: after a crashed request runs again once this has passed. Keep it longer than any request may take (the
    #: server's request timeout).
    idempotency_lease_seconds: int = 60
    #: The seed file (YAML) of the SSO's directory: people, firms, delegations, OIDC clients. Defaults to the
    #: packaged ``mock_provider/seed/default.yaml``.
    seed_file: Path | None = None
    #: The control plane under ``/_mock`` (outbox, clock, review queue, scenarios, reset) and the SSO's
    #: non-interactive ``login_hint`` login. Turn it off to make the mock answer 404 there.
    control_plane: bool = True
    #: How identity reviews are decided: ``auto`` after ``review_delay_seconds`` on the mock clock, or
    #: ``manual`` through the control plane only.
    review_mode: str = "auto"
    #: Delay before an automatic review decision. 0 decides at once; the ``realistic`` profile uses 86400.
    review_delay_seconds: int = 0
    #: Validity of an SMS code, attempts before it locks, and the wait before another may be sent.
    otp_validity_seconds: int = 30 * 60
    otp_max_attempts: int = 5
    otp_resend_cooldown_seconds: int = 60
    #: Hours after issuance during which the holder may report an error in the certificate.
    error_report_hours: int = 48
    #: Largest identity document file accepted, per side: 4 MiB, Universign's limit for an identity document
    #: ("4 MB per side" in its id-validations API).
    max_document_bytes: int = 4 * 1024 * 1024
    #: ``jesign-mock serve``: worker processes, and threads per worker running the app. With more than one
    #: worker, every process shares the database; OCSP and CRL caches follow it through the PKI revision.
    workers: int = 1
    threads: int = 4
    #: ``jesign-mock serve``: seconds a connection may stay silent (while sending its headers or its body, or
    #: idle between requests) before the server closes it.
    read_timeout_seconds: int = 30
    #: ``jesign-mock serve``: largest request line and headers accepted (else 431), and largest body accepted
    #: by every route but the identity document uploads (else 413). Uploads take both sides of
    #: ``max_document_bytes`` and 64 KiB for the form's other fields.
    max_header_bytes: int = 64 * 1024
    max_body_bytes: int = 256 * 1024
    #: ``jesign-mock serve``: open connections per worker; past it, new ones wait in the listen backlog.
    max_connections: int = 100
    #: Rule breakages switched on for the process's life (ids from ``GET /_mock/breakages``; a comma-separated
    #: list in the environment). For proving that the conformance suite catches a provider that breaks a rule.
    breakages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.key_algorithm not in KEY_ALGORITHMS:
            raise ConfigError(f"key_algorithm must be one of {', '.join(KEY_ALGORITHMS)}")
        if self.ca_key_algorithm not in KEY_ALGORITHMS:
            raise ConfigError(f"ca_key_algorithm must be one of {', '.join(KEY_ALGORITHMS)}")
        if not 0 < self.port < 65536:
            raise ConfigError("port must be between 1 and 65535")
        for name in ("personal_validity_days", "seal_validity_days", "client_validity_days"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive")
        if self.ocsp_validity_seconds < 60 or self.crl_validity_seconds < 60:
            raise ConfigError("OCSP and CRL validity must be at least 60 seconds")
        if self.idempotency_lease_seconds < 1:
            raise ConfigError("idempotency_lease_seconds must be at least 1")
        if self.workers < 1 or self.threads < 1:
            raise ConfigError("workers and threads must be at least 1")
        if self.read_timeout_seconds < 1 or self.max_connections < 1:
            raise ConfigError("read_timeout_seconds and max_connections must be at least 1")
        if self.max_header_bytes < 1024 or self.max_body_bytes < 1024:
            raise ConfigError("max_header_bytes and max_body_bytes must be at least 1024")
        if self.review_mode not in ("auto", "manual"):
            raise ConfigError("review_mode must be auto or manual")
        if self.review_mode == "manual" and not self.control_plane:
            raise ConfigError("review_mode manual needs the control plane, where reviews are decided")
        if self.review_delay_seconds < 0 or self.otp_validity_seconds < 1 or self.otp_max_attempts < 1:
            raise ConfigError("review delay, OTP validity and attempts must be positive")
        if self.secret_key is not None and len(self.secret_key.encode()) < 16:
            raise ConfigError("secret_key must be at least 16 bytes")

    @property
    def base_url(self) -> str:
        """The public base URL, without a trailing slash."""
        url = self.public_base_url or f"http://{self.host}:{self.port}"
        return url.rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'mock.sqlite3'}"

    @property
    def uses_data_dir(self) -> bool:
        """Whether anything is kept in ``data_dir`` (not with an in-memory database and a given secret)."""
        return not (self.resolved_database_url.endswith(":memory:") and self.secret_key is not None)


def load_config(
    overrides: Mapping[str, Any] | None = None,
    *,
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> MockConfig:
    """Build a :class:`MockConfig` from defaults, then a TOML file, then the environment, then ``overrides``."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or environ.get(CONFIG_FILE_VARIABLE)
    if path:
        try:
            with open(path, "rb") as handle:
                from_file = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read configuration file {path}: {exc}") from exc
        values.update(_coerce_all(from_file, source=str(path)))
    from_env = {
        key[len(ENV_PREFIX) :].lower(): value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and key != CONFIG_FILE_VARIABLE
    }
    values.update(_coerce_all(from_env, source="environment"))
    if overrides:
        values.update(_coerce_all(dict(overrides), source="overrides"))
    try:
        return MockConfig(**values)
    except TypeError as exc:  # pragma: no cover - _coerce_all rejects unknown keys first
        raise ConfigError(str(exc)) from exc


_FIELDS = {f.name: f for f in dataclasses.fields(MockConfig)}
_HINTS = typing.get_type_hints(MockConfig)


def _coerce_all(raw: Mapping[str, Any], *, source: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _FIELDS:
            raise ConfigError(f"unknown setting {key!r} in {source}")
        out[key] = _coerce(key, value, _HINTS[key])
    return out


def _coerce(key: str, value: Any, hint: Any) -> Any:
    if isinstance(hint, types.UnionType):  # "X | None": None passes, anything else is an X
        if value is None:
            return None
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    try:
        if hint is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if hint is int:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if hint is Path:
            return Path(value)
        if hint == tuple[str, ...]:
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
                raise ValueError(value)
            return tuple(item.strip() for item in items if item.strip())
        if hint is str:
            if not isinstance(value, str):
                raise ValueError(value)
            return value
    except ValueError as exc:
        raise ConfigError(f"{key}: cannot read {value!r} as {hint.__name__}") from exc
    raise ConfigError(f"{key}: unsupported type {hint!r}")  # pragma: no cover
