"""The target: the deployment under test, as base URLs per party, the OIDC client, the operator credentials, the
test accounts, and the rule parameters a provider may configure (OTP validity, review delay…).

A :class:`Target` comes from a base URL (:meth:`Target.for_mock`: the mock's layout, every party under one origin,
its seeded accounts) or from a target file (TOML), read and checked key by key by
:func:`conformance.target_file.load_target`, which documents every key.

A check that needs an account or a party the target does not name ends SKIPPED, saying which
(:class:`AbsentFromTarget`): a target may leave out the roles and parties it cannot provide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


class AbsentFromTarget(TargetError):
    """The target names no account for a role, or no base URL for a party, that a check needs: the check is SKIPPED
    with this reason."""


@dataclass(frozen=True)
class Account:
    """A test account: its SSO login, and what the SSO and the platform know of it (e-mail, mobile, names, firms)."""

    role: str
    login: str
    email: str = ""
    mobile: str = ""
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
    max_document_bytes: int = 4 * 1024 * 1024
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
    #: Where the target was read from (a target file's path), for messages.
    source: str = ""

    def base_url(self, party: str) -> str:
        try:
            return self.parties[party]
        except KeyError:
            where = f"add {party} under [parties] in {self.source}" if self.source else "the Target's parties lack it"
            raise AbsentFromTarget(f"the target names no {party!r} party: {where}") from None

    def account(self, role: str) -> Account:
        try:
            return self.accounts[role]
        except KeyError:
            what = ROLES.get(role, "a role of conformance.target.ROLES")
            where = f"add [accounts.{role}] to {self.source}" if self.source else "the Target's accounts lack it"
            raise AbsentFromTarget(f"the target names no {role!r} account ({what}): {where}") from None

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
