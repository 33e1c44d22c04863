"""Target files: the TOML form of a :class:`~conformance.target.Target`, every key it may hold, and the reading that
checks them.

:data:`SCHEMA` describes each key: its TOML type, whether it is required, its default and what it is for.
:func:`load_target` reads a file with :mod:`tomllib` and checks it against :data:`SCHEMA` before anything else
runs: an unknown key, a missing required key, a value of the wrong type, or a secret given both inline and by
environment variable is a :class:`~conformance.target.TargetError` naming the key and the file (every problem at
once), which ``jesign-conformance`` turns into a usage error. :func:`render_markdown` writes the key reference the
QA guide shows; the documentation builds it from :data:`SCHEMA`, so the page cannot fall behind the code.

Checking the keys is done here from :data:`SCHEMA` (a few lines over :mod:`tomllib`'s values) rather than with a
schema library: the suite installs with the SDK's dependencies only.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, get_type_hints

from conformance.target import ROLES, Account, Credentials, Rules, Target, TargetError

STRING, INTEGER, STRINGS, TABLE = "string", "integer", "array of strings", "table"


@dataclass(frozen=True)
class Key:
    """One key of a target file: its TOML type, whether it is required, its default, what it is for."""

    name: str
    type: str
    doc: str
    required: bool = False
    default: str = ""
    #: A table's own keys.
    keys: tuple[Key, ...] = ()

    def key(self, name: str) -> Key | None:
        return next((k for k in self.keys if k.name == name), None)


def _client(what: str) -> tuple[Key, ...]:
    return (
        Key("client_id", STRING, f"{what}: its client id", required=True),
        Key("client_secret", STRING, "its secret, written in the file (a confidential client)"),
        Key(
            "client_secret_env",
            STRING,
            "the name of an environment variable holding its secret (better than `client_secret`; give one of the "
            "two, or neither for a public client)",
        ),
    )


_ACCOUNT = (
    Key(
        "login",
        STRING,
        "the account's login at the SSO (the mock harness logs in with it as `login_hint`, the interactive harness "
        "asks you to log in as it)",
        required=True,
    ),
    Key("email", STRING, "its e-mail as the SSO knows it: the trust-side registrations are opened for it"),
    Key("mobile", STRING, "its mobile number as the SSO knows it (E.164): its SMS codes go there"),
    Key("user_id", STRING, "its id at the platform (`usr_…`), for the checks that compare who did what"),
    Key("given_name", STRING, "its given name as the SSO knows it: the SSO's claims must carry it"),
    Key("family_name", STRING, "its family name as the SSO knows it: the SSO's claims must carry it"),
    Key("firms", STRINGS, "its firms' ids at the platform (`frm_…`), in the order the roles table describes"),
)

#: What each rule parameter is (the keys of ``[rules]``, from :class:`~conformance.target.Rules`).
RULE_DOCS = {
    "code_lifetime_seconds": "how long the SSO's authorization codes live",
    "refresh_token_lifetime_seconds": "how long its refresh tokens live, if it announces it (0: not judged)",
    "access_token_lifetime_seconds": "how long its access tokens live (`expires_in`), if it announces it (0: not "
    "judged)",
    "id_token_lifetime_seconds": "how long its id_tokens live (`exp - iat`), if it announces it (0: not judged)",
    "otp_validity_seconds": "how long an SMS code of step 4 is valid",
    "otp_max_attempts": "wrong SMS codes tried before the request is locked",
    "otp_resend_cooldown_seconds": "the wait before another SMS code may be sent",
    "otp_max_codes": "SMS codes sent for one certificate request (the consent's and every resend)",
    "signing_codes_per_hour": "signing codes (`credentials/sendOTP`) sent for one credential within an hour",
    "error_report_hours": "how long the holder may report an error in the certificate",
    "earliest_birth_year": "the earliest birth year step 2 accepts",
    "review_hours": "how long the identity review may take",
    "max_document_bytes": "the size limit of a document side (step 3)",
    "min_image_long_side": "the smallest picture of a document side, long side in pixels",
    "min_image_short_side": "the smallest picture of a document side, short side in pixels",
    "levels": "the certificate levels the trust provider offers",
    "ocsp_max_age_seconds": "the oldest an OCSP answer's thisUpdate and producedAt may be",
    "ocsp_max_validity_seconds": "the longest an OCSP answer's validity interval may be",
    "clock_leeway_seconds": "how far a time-stamp may stray from the target's clock, beyond its declared accuracy",
}


def _rule_keys() -> tuple[Key, ...]:
    hints = get_type_hints(Rules)
    defaults = Rules()
    keys = []
    for found in fields(Rules):
        value = getattr(defaults, found.name)
        shown = ", ".join(value) if isinstance(value, tuple) else str(value)
        kind = INTEGER if hints[found.name] is int else STRINGS
        keys.append(Key(found.name, kind, RULE_DOCS[found.name], default=shown))
    return tuple(keys)


#: Every key a target file may hold (the file itself is the top-level table).
SCHEMA = Key(
    "",
    TABLE,
    "a target file",
    keys=(
        Key("name", STRING, "what the reports call the target", default="the file's name"),
        Key(
            "parties",
            TABLE,
            "the base URL of each party",
            required=True,
            keys=(
                Key("sso", STRING, "the SSO, the OpenID Connect issuer (`/sso` on the mock)", required=True),
                Key("platform", STRING, "the platform's API (`/platform/api/v1` on the mock)", required=True),
                Key("trust", STRING, "the trust provider's API (`/trust/v1` on the mock)", required=True),
                Key(
                    "csc",
                    STRING,
                    "remote signing, CSC v2 (`/trust/csc/v2` on the mock); without it the checks that sign, and "
                    "those that read the certificates through it (most of the `pki` plan), are SKIPPED",
                ),
                Key(
                    "pki",
                    STRING,
                    "the PKI's publication point: CA certificates, CRLs, OCSP, TSA (`/pki` on the mock); without it "
                    "the checks that read them are SKIPPED",
                ),
                Key(
                    "control",
                    STRING,
                    "the mock's control plane (`/_mock`): required by `--harness mock`, which drives it; a real "
                    "deployment has none",
                ),
            ),
        ),
        Key(
            "oidc",
            TABLE,
            "the OpenID Connect client the suite logs in with",
            required=True,
            keys=(
                *_client("a client registered with the SSO"),
                Key("redirect_uri", STRING, "a redirect URI registered for it", required=True),
                Key("scope", STRING, "the scope it asks for", default="openid profile email phone"),
                Key(
                    "second_client",
                    TABLE,
                    "another client of the SSO: the checks that codes and refresh tokens are bound to their client "
                    "use it, and are SKIPPED without it",
                    keys=_client("another client registered with the SSO"),
                ),
            ),
        ),
        Key(
            "operator",
            TABLE,
            "the HTTP Basic credentials of the trust provider's operator calls (`POST /registrations`)",
            default="the `[oidc]` client",
            keys=_client("the operator"),
        ),
        Key(
            "accounts",
            TABLE,
            "the test accounts, one table per role (see the roles below); `accountant` is required, a check that "
            "needs another role the file leaves out is SKIPPED, saying which",
            required=True,
            keys=tuple(
                Key(role, TABLE, what, required=role == "accountant", keys=_ACCOUNT) for role, what in ROLES.items()
            ),
        ),
        Key(
            "rules",
            TABLE,
            "the rule parameters, only where the deployment is configured differently from the user guide",
            keys=_rule_keys(),
        ),
    ),
)

_PYTHON_TO_TOML = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a float"),
    (str, "a string"),
    (list, "an array"),
    (dict, "a table"),
    (datetime, "a date-time"),
    (date, "a date"),
    (time, "a time"),
)


def _toml_type(value: Any) -> str:
    return next((name for kind, name in _PYTHON_TO_TOML if isinstance(value, kind)), type(value).__name__)


def _fits(key: Key, value: Any) -> bool:
    if key.type == STRING:
        return isinstance(value, str)
    if key.type == INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if key.type == STRINGS:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, dict)


def problems(data: dict[str, Any], table: Key = SCHEMA, where: str = "") -> Iterator[str]:
    """What is wrong with ``data`` (a parsed target file, or one of its tables) against ``table``, key by key."""
    for name, value in data.items():
        path = f"{where}{name}"
        key = table.key(name)
        if key is None:
            known = [k.name for k in table.keys]
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {where}{close[0]}?" if close else f"known here: {', '.join(known)}"
            yield f"unknown key {path} ({hint})"
        elif not _fits(key, value):
            yield f"{path} must be {'an' if key.type[0] in 'aeiou' else 'a'} {key.type}, not {_toml_type(value)}"
        elif key.type == TABLE:
            yield from problems(value, key, f"{path}.")
    for key in table.keys:
        if key.required and key.name not in data:
            yield f"missing table [{where}{key.name}]" if key.type == TABLE else f"missing key {where}{key.name}"
    if "client_secret" in data and "client_secret_env" in data and table.key("client_secret_env") is not None:
        yield f"{where}client_secret and {where}client_secret_env are both given: keep one"


def load_target(spec: str | Path) -> Target:
    """A target from a base URL (``http://127.0.0.1:8400``: the mock's layout) or from a target file (TOML)."""
    text = str(spec)
    if text.startswith(("http://", "https://")):
        return Target.for_mock(text)
    path = Path(text)
    if not path.is_file():
        raise TargetError(f"{text} is neither an http(s) URL nor a target file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TargetError(f"{path}: cannot be read ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TargetError(f"{path}: not a TOML file: {exc}") from exc
    return target_from_mapping(data, name=path.stem, source=str(path))


def target_from_mapping(data: dict[str, Any], *, name: str = "target", source: str = "the target") -> Target:
    """A target from the parsed form of a target file; every problem of ``data`` at once is a TargetError."""
    found = list(problems(data))
    if len(found) == 1:
        raise TargetError(f"{source}: {found[0]}")
    if found:
        raise TargetError(f"{source}: {len(found)} problems:\n" + "\n".join(f"  - {p}" for p in found))
    oidc = data["oidc"]
    second = oidc.get("second_client")
    return Target(
        name=data.get("name", name),
        parties={party: url.rstrip("/") for party, url in data["parties"].items()},
        oidc=_credentials(oidc, "oidc", source),
        redirect_uri=oidc["redirect_uri"],
        operator=_credentials(data["operator"], "operator", source)
        if "operator" in data
        else _credentials(oidc, "oidc", source),
        accounts={role: _account(role, entry) for role, entry in data["accounts"].items()},
        rules=_rules(data.get("rules", {})),
        scope=oidc.get("scope", Target.scope),
        second_client=_credentials(second, "oidc.second_client", source) if second is not None else None,
        source=source,
    )


def _rules(table: dict[str, Any]) -> Rules:
    values: dict[str, Any] = {key: (tuple(v) if isinstance(v, list) else v) for key, v in table.items()}
    return Rules(**values)


def _credentials(table: dict[str, Any], where: str, source: str) -> Credentials:
    secret = table.get("client_secret")
    if "client_secret_env" in table:
        variable = table["client_secret_env"]
        if variable not in os.environ:
            raise TargetError(f"{source}: {where}.client_secret_env names {variable}, which is not set")
        secret = os.environ[variable]
    return Credentials(table["client_id"], secret)


def _account(role: str, entry: dict[str, Any]) -> Account:
    return Account(
        role=role,
        login=entry["login"],
        email=entry.get("email", ""),
        mobile=entry.get("mobile", ""),
        user_id=entry.get("user_id", ""),
        given_name=entry.get("given_name", ""),
        family_name=entry.get("family_name", ""),
        firms=tuple(entry.get("firms", ())),
    )


def render_markdown() -> str:
    """The key reference, one Markdown table per TOML table (what the QA guide shows under "Every key")."""
    lines: list[str] = []

    def table(heading: str, keys: tuple[Key, ...]) -> None:
        lines.extend([heading, "", "| key | type | required or default | what |", "|---|---|---|---|"])
        for key in keys:
            need = "required" if key.required else (key.default or "optional")
            lines.append(f"| `{key.name}` | {key.type} | {need} | {key.doc} |")
        lines.append("")

    def heading(key: Key, name: str) -> str:
        need = "required" if key.required else (f"default: {key.default}" if key.default else "optional")
        return f"`[{name}]` ({need}): {key.doc}."

    table("The top level:", tuple(k for k in SCHEMA.keys if k.type != TABLE))
    for key in SCHEMA.keys:
        if key.name == "accounts":
            roles = ", ".join(f"`{role.name}`" for role in key.keys)
            table(f"`[accounts.<role>]` (required), `<role>` one of {roles}: {key.doc}.", _ACCOUNT)
        elif key.type == TABLE:
            table(heading(key, key.name), tuple(k for k in key.keys if k.type != TABLE))
            for sub in key.keys:
                if sub.type == TABLE:
                    table(heading(sub, f"{key.name}.{sub.name}"), sub.keys)
    return "\n".join(lines)
