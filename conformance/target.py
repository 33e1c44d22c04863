"""The target: the deployment under test, as base URLs per party, the OIDC client, the operator credentials, the
test accounts, and the rule parameters a provider may configure (OTP validity, review delay…).

:func:`load_target` takes either a base URL (the mock's layout: every party under one origin, its seeded accounts)
or a TOML file::

    name = "universign sandbox"

    [parties]                      # base URL of each party; "control" only for the mock
    sso = "https://sso.sandbox.example/sso"
    platform = "https://sandbox.example/platform/api/v1"
    trust = "https://trust.sandbox.example/trust/v1"
    csc = "https://trust.sandbox.example/trust/csc/v2"
    pki = "https://pki.sandbox.example/pki"

    [oidc]                         # a confidential client registered with the SSO
    client_id = "qa-client"
    client_secret = "..."          # or client_secret_env = "QA_CLIENT_SECRET"
    redirect_uri = "http://127.0.0.1:8765/callback"

    [oidc.second_client]           # another client of the SSO (optional): codes and refresh tokens are bound
    client_id = "qa-other"         # to their client; without one, those checks are SKIPPED
    client_secret_env = "QA_OTHER_SECRET"   # none for a public client

    [operator]                     # HTTP Basic credentials for the trust provider's operator calls
    client_id = "qa-client"
    client_secret_env = "QA_OPERATOR_SECRET"

    [accounts.accountant]          # roles the plans use; see ROLES
    login = "marie.dupont"
    email = "marie.dupont@cabinet.example"
    mobile = "+33612345678"

    [rules]                        # only where the deployment differs from the user guide
    otp_validity_seconds = 1800

Secrets may be given inline or, better, by the name of an environment variable (``*_env``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

#: The parties, as in DESIGN.md section 1, and their paths under the mock's single origin.
MOCK_PREFIXES = {
    "sso": "/sso",
    "platform": "/platform/api/v1",
    "trust": "/trust/v1",
    "csc": "/trust/csc/v2",
    "pki": "/pki",
    "control": "/_mock",
}

#: Account roles the plans use, and what each must be.
ROLES = {
    "accountant": "a chartered accountant of two firms, not yet registered (steps 0 to 6, terms per firm)",
    "second_accountant": "another chartered accountant, not yet registered (terms before the certificate)",
    "no_mobile": "a chartered accountant with no mobile number at the SSO (step 1's mandatory mobile)",
    "collaborator_delegated": "a collaborator of the accountant's first firm holding the sign delegation",
    "collaborator": "a collaborator of the accountant's first firm holding no delegation",
    "outsider": "a collaborator of the accountant's first firm, not a member of the second one",
}


class TargetError(ValueError):
    """The target file or URL is unusable."""


@dataclass(frozen=True)
class Account:
    """A test account: its SSO login (and password, for a login page), its e-mail and mobile as the SSO knows them."""

    role: str
    login: str
    email: str = ""
    mobile: str = ""
    password: str = ""
    user_id: str = ""
    given_name: str = ""
    family_name: str = ""
    firms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str | None = None


@dataclass(frozen=True)
class Rules:
    """Parameters of the rules that a deployment may set differently from the user guide's."""

    #: How long an authorization code lives (RFC 6749 section 4.1.2: 10 minutes at most is recommended).
    code_lifetime_seconds: int = 10 * 60
    #: How long a refresh token, an access token (its expires_in) and an id_token (exp - iat) live, if the deployment
    #: announces it (0: it does not, and the suite does not judge it).
    refresh_token_lifetime_seconds: int = 0
    access_token_lifetime_seconds: int = 0
    id_token_lifetime_seconds: int = 0
    otp_validity_seconds: int = 30 * 60
    otp_max_attempts: int = 5
    otp_resend_cooldown_seconds: int = 60
    #: SMS codes sent for one certificate request (the consent's and every resend), after which it must start again.
    otp_max_codes: int = 10
    #: Signing codes (``credentials/sendOTP``) sent for one credential within an hour, after which the next waits.
    signing_codes_per_hour: int = 30
    error_report_hours: int = 48
    #: The earliest birth year step 2 accepts: a birth date before 1 January of it is a typing error, refused.
    earliest_birth_year: int = 1900
    review_hours: int = 24
    max_document_bytes: int = 10 * 1024 * 1024
    #: The smallest picture of a document side accepted, in pixels, whichever way it is turned (long x short side).
    min_image_long_side: int = 200
    min_image_short_side: int = 120
    levels: tuple[str, ...] = ("lcp", "qcp", "qcpnqscd")
    #: The oldest an OCSP answer's thisUpdate and producedAt may be, and the longest its validity interval
    #: (nextUpdate - thisUpdate): the CA/Browser Forum's bounds (update every 4 days, valid at most 10), by default.
    ocsp_max_age_seconds: int = 4 * 24 * 3600
    ocsp_max_validity_seconds: int = 10 * 24 * 3600
    #: How far a time-stamp's genTime may stray from the target's clock as the suite reads it, beyond the accuracy
    #: that the token declares.
    clock_leeway_seconds: int = 60


@dataclass(frozen=True)
class Target:
    """Where the deployment is and how to act on it."""

    name: str
    parties: dict[str, str]
    oidc: Credentials
    redirect_uri: str
    operator: Credentials
    accounts: dict[str, Account] = field(default_factory=dict)
    rules: Rules = field(default_factory=Rules)
    scope: str = "openid profile email phone"
    #: Another client of the SSO, to redeem codes and refresh tokens that are not its own.
    second_client: Credentials | None = None

    def base_url(self, party: str) -> str:
        try:
            return self.parties[party]
        except KeyError:
            raise TargetError(f"the target names no base URL for the party {party!r}") from None

    def account(self, role: str) -> Account:
        try:
            return self.accounts[role]
        except KeyError:
            raise TargetError(f"the target names no {role!r} account ({ROLES.get(role, 'see ROLES')})") from None

    def describe(self) -> dict[str, Any]:
        """What a report shows of the target: no secret."""
        return {
            "name": self.name,
            "parties": dict(self.parties),
            "oidc_client": self.oidc.client_id,
            "accounts": {role: a.login for role, a in self.accounts.items()},
        }

    @classmethod
    def for_mock(cls, base_url: str) -> Target:
        """The mock's layout under ``base_url``, its seeded OIDC client and accounts."""
        base = base_url.rstrip("/")
        people = {
            "accountant": ("marie.dupont", "Marie", "Dupont", "+33612345678", ("frm_ecma", "frm_dupont_associes")),
            "second_accountant": ("sophie.lambert", "Sophie", "Lambert", "+33645678901", ("frm_lefevre",)),
            "no_mobile": ("paul.leroy", "Paul", "Leroy", "", ("frm_lefevre",)),
            "collaborator_delegated": ("luc.martin", "Luc", "Martin", "+33623456789", ("frm_ecma",)),
            "collaborator": ("chloe.bernard", "Chloé", "Bernard", "+33634567890", ("frm_ecma",)),
            "outsider": ("luc.martin", "Luc", "Martin", "+33623456789", ("frm_ecma",)),
        }
        domains = {"frm_ecma": "cabinet-ecma", "frm_lefevre": "cabinet-lefevre"}
        accounts = {
            role: Account(
                role=role,
                login=login,
                email=f"{login}@{domains[firms[0]]}.example.com",
                mobile=mobile,
                user_id="usr_" + login.replace(".", "_"),
                given_name=given,
                family_name=family,
                firms=firms,
            )
            for role, (login, given, family, mobile, firms) in people.items()
        }
        return cls(
            name=f"jesign mock at {base}",
            parties={party: base + prefix for party, prefix in MOCK_PREFIXES.items()},
            oidc=Credentials("jesign-platform", "jesign-platform-secret"),
            redirect_uri="http://127.0.0.1/callback",
            operator=Credentials("jesign-platform", "jesign-platform-secret"),
            accounts=accounts,
            second_client=Credentials("jesign-cli"),
            # What the mock announces (docs/registration.md): refresh tokens 30 days, access and id tokens 1 hour.
            rules=Rules(
                refresh_token_lifetime_seconds=30 * 24 * 3600,
                access_token_lifetime_seconds=3600,
                id_token_lifetime_seconds=3600,
            ),
        )


def _secret(table: dict[str, Any], key: str, where: str) -> str | None:
    if f"{key}_env" in table:
        name = str(table[f"{key}_env"])
        if name not in os.environ:
            raise TargetError(f"{where}.{key}_env names {name}, which is not set")
        return os.environ[name]
    value = table.get(key)
    return None if value is None else str(value)


def load_target(spec: str | Path) -> Target:
    """A target from a base URL (``http://127.0.0.1:8400``: the mock's layout) or from a TOML file."""
    text = str(spec)
    if text.startswith(("http://", "https://")):
        return Target.for_mock(text)
    path = Path(text)
    if not path.is_file():
        raise TargetError(f"{text} is neither an http(s) URL nor a target file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TargetError(f"{path}: {exc}") from exc
    return target_from_mapping(data, name=path.stem)


def target_from_mapping(data: dict[str, Any], *, name: str = "target") -> Target:
    """A target from the parsed form of a target file (see the module's documentation)."""
    if "mock_base_url" in data:
        base = Target.for_mock(str(data["mock_base_url"]))
        return replace(base, rules=_rules(data.get("rules", {})))
    parties = data.get("parties")
    if not isinstance(parties, dict) or not parties:
        raise TargetError("[parties] is required: a base URL per party")
    missing = {"sso", "platform", "trust"} - parties.keys()
    if missing:
        raise TargetError(f"[parties] lacks {', '.join(sorted(missing))}")
    oidc = data.get("oidc", {})
    if "client_id" not in oidc or "redirect_uri" not in oidc:
        raise TargetError("[oidc] needs client_id and redirect_uri")
    operator = data.get("operator", oidc)
    second = oidc.get("second_client")
    if second is not None and (not isinstance(second, dict) or "client_id" not in second):
        raise TargetError("[oidc.second_client] needs client_id")
    accounts = {
        role: Account(
            role=role,
            login=str(entry["login"]),
            email=str(entry.get("email", "")),
            mobile=str(entry.get("mobile", "")),
            password=_secret(entry, "password", f"accounts.{role}") or "",
            user_id=str(entry.get("user_id", "")),
            given_name=str(entry.get("given_name", "")),
            family_name=str(entry.get("family_name", "")),
            firms=tuple(str(f) for f in entry.get("firms", ())),
        )
        for role, entry in data.get("accounts", {}).items()
    }
    return Target(
        name=str(data.get("name", name)),
        parties={str(k): str(v).rstrip("/") for k, v in parties.items()},
        oidc=Credentials(str(oidc["client_id"]), _secret(oidc, "client_secret", "oidc")),
        redirect_uri=str(oidc["redirect_uri"]),
        operator=Credentials(str(operator["client_id"]), _secret(operator, "client_secret", "operator")),
        accounts=accounts,
        rules=_rules(data.get("rules", {})),
        scope=str(oidc.get("scope", "openid profile email phone")),
        second_client=(
            Credentials(str(second["client_id"]), _secret(second, "client_secret", "oidc.second_client"))
            if second is not None
            else None
        ),
    )


def _rules(table: dict[str, Any]) -> Rules:
    known = set(Rules.__dataclass_fields__)
    unknown = set(table) - known
    if unknown:
        raise TargetError(f"[rules] has unknown keys: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else int(v)) for k, v in table.items()}
    return Rules(**values)
