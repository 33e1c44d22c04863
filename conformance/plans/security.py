"""The ``security`` plan: every route wants its credentials, accounts stay apart, errors reveal nothing.

Modules, in running order:

- ``auth``: the platform's and the CSC API's routes answer 401 without an access token or with a bad one; the
  trust provider's applicant routes answer nothing without the registration's session token, its operator routes
  401 without the operator's credentials;
- ``isolation``: a person's credential is not another's; a firm's delegations are not seen by anyone outside its
  accountants (that a registration's token opens no other registration is the ``registration`` plan's
  ``registration.isolation.other_registration_invisible``);
- ``errors``: bad input is a 4xx RFC 9457 problem, never a 500, and no error body shows a traceback, SQL or a
  server path; every member of a problem holds its value (``status`` the HTTP status, ``request_id`` the
  ``X-Request-Id`` header, a snake_case ``code``), served as ``application/problem+json``.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

import requests

from conformance.context import CheckContext
from conformance.oidc import Tokens
from conformance.plans import holders
from conformance.plans.registration import steps
from conformance.registry import check
from conformance.results import Severity

RFC_6750 = "RFC 6750 §3.1 (invalid_token: 401 with WWW-Authenticate)"
RFC_9457 = "RFC 9457 §3 (problem details)"
OWASP_ERRORS = "OWASP ASVS 4.0.3 V7.4.1 (a generic message, no stack trace, no internal detail)"
FORGED = {"Authorization": "Bearer conformance-forged-token-0000000000000000"}
FIRM = "{firm}"

#: The platform's routes, each with a body when it takes one (``{firm}`` stands for a firm of the accountant).
PLATFORM_ROUTES: tuple[tuple[str, str, dict[str, Any] | None], ...] = (
    ("GET", "/me", None),
    ("GET", "/registration", None),
    ("GET", "/registration/certificate", None),
    ("POST", "/registration/profile", {"mobile_number": "+33612345678"}),
    ("POST", "/registration/certificate-request", {}),
    ("GET", "/terms", None),
    ("POST", "/registration/terms", {"firms": [], "cgu_version": "1", "privacy_policy_version": "1"}),
    ("GET", f"/firms/{FIRM}/delegations", None),
    ("POST", f"/firms/{FIRM}/delegations", {"user_id": "usr_conformance", "kind": "sign"}),
    ("DELETE", f"/firms/{FIRM}/delegations/dlg_conformance", None),
)
#: The CSC API's operations that need an access token (``info`` is public).
CSC_ROUTES = (
    "/credentials/list",
    "/credentials/info",
    "/credentials/sendOTP",
    "/credentials/authorize",
    "/signatures/signHash",
    "/signatures/timestamp",
)
#: The trust provider's applicant routes, relative to a registration.
APPLICANT_ROUTES: tuple[tuple[str, str, dict[str, Any] | None], ...] = (
    ("GET", "", None),
    ("GET", "/events", None),
    ("GET", "/agreement", None),
    ("GET", "/certificate", None),
    ("POST", "/identity", {"birth_date": steps.BIRTH_DATE, "accept_terms": True, "accept_privacy_policy": True}),
    ("POST", "/agreement/consent", {"accept": True}),
    ("POST", "/agreement/resend", {}),
    ("POST", "/agreement/sign", {"otp": "000000"}),
    ("POST", "/certificate/report-error", {"detail": "conformance"}),
    ("POST", "/cancel", {}),
)

_INTERNALS = (
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r'File "[^"]+", line \d+'),
    re.compile(r"(?i)\b(sqlalchemy|sqlite3|psycopg2?|IntegrityError|OperationalError)\b"),
    re.compile(r"(?i)\bSELECT\b[^\n]{0,200}\bFROM\b"),
    re.compile(r"(?:/site-packages/|/usr/lib/python|\\\\site-packages\\\\|\.py\", line)"),
)


def _send(
    ctx: CheckContext, party: str, method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]
) -> requests.Response:
    if body is None:
        return ctx.http.request(method, party, path, headers=headers)
    return ctx.http.request(method, party, path, json=body, headers=headers)


def _firm(ctx: CheckContext) -> str:
    firms = ctx.target.account("accountant").firms
    return firms[0] if firms else "frm_conformance"


def _expect_all(ctx: CheckContext, wrong: list[str], rule: str) -> None:
    ctx.expect(not wrong, f"{rule}: " + "; ".join(wrong))


# -- auth -------------------------------------------------------------------------------------------------------------


def _unauthenticated(
    ctx: CheckContext, party: str, routes: list[tuple[str, str, dict[str, Any] | None]], statuses: tuple[int, ...]
) -> None:
    wrong, unchallenged = [], []
    for method, path, body in routes:
        for label, headers in (("no token", {}), ("a forged token", FORGED)):
            answer = _send(ctx, party, method, path, body, headers)
            if answer.status_code not in statuses:
                wrong.append(f"{method} {path} with {label} answered {answer.status_code}")
            elif answer.status_code == 401 and "WWW-Authenticate" not in answer.headers:
                unchallenged.append(f"{method} {path}")
    _expect_all(ctx, wrong, f"expected {' or '.join(map(str, statuses))}")
    if unchallenged:
        ctx.warn("401 without WWW-Authenticate (RFC 6750 §3): " + ", ".join(unchallenged[:5]))


@check(
    "security.auth.platform_token_required",
    title="Every platform route answers 401 without an access token, or with a forged one",
    cites=(RFC_6750, "RFC 6750 §2.1", "jesign docs, Architecture: the platform takes the SSO's Bearer access tokens"),
    severity=Severity.CRITICAL,
)
def platform_token_required(ctx: CheckContext) -> None:
    firm = _firm(ctx)
    routes = [(m, p.replace(FIRM, firm), b) for m, p, b in PLATFORM_ROUTES]
    _unauthenticated(ctx, "platform", routes, (401,))


@check(
    "security.auth.csc_token_required",
    title="Every CSC credentials and signatures operation answers 401 without an access token, or with a forged one",
    cites=("Cloud Signature Consortium API v2.0.0.2, authorization of the API calls (Bearer access token)", RFC_6750),
    severity=Severity.CRITICAL,
)
def csc_token_required(ctx: CheckContext) -> None:
    routes: list[tuple[str, str, dict[str, Any] | None]] = [("POST", path, {}) for path in CSC_ROUTES]
    base = ctx.target.base_url("csc").rstrip("/")
    if base.endswith("/v2"):  # the same operations under CSC v1, which pyHanko's own CSCSigner speaks
        routes += [("POST", f"{base[:-1]}1{path}", {}) for path in CSC_ROUTES]
    _unauthenticated(ctx, "csc", routes, (401,))


@check(
    "security.auth.trust_token_required",
    title="The trust provider's registration routes answer nothing without the session token or the operator's",
    cites=(
        "Universign REST API v1: registrations opened by the operator (HTTP Basic), then the applicant's session",
        "RFC 7617 (Basic)",
        RFC_6750,
    ),
    severity=Severity.CRITICAL,
)
def trust_token_required(ctx: CheckContext) -> None:
    reg = steps.create(ctx)
    wrong = []
    for method, suffix, body in APPLICANT_ROUTES:
        for label, headers in (("no token", {}), ("a forged token", FORGED)):
            answer = _send(ctx, "trust", method, reg.path(suffix), body, headers)
            if answer.status_code not in (401, 403, 404):
                wrong.append(f"{method} {reg.path(suffix)} with {label} answered {answer.status_code}")
    operator_routes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/registrations", {"email": ctx.target.account("accountant").email, "level": "lcp"}),
        ("GET", "/accounts/match?email=" + ctx.target.account("accountant").email, None),
    ]
    for method, path, body in operator_routes:
        for label, auth in (("no credentials", None), ("wrong credentials", (ctx.target.operator.client_id, "x"))):
            kwargs: dict[str, Any] = {"auth": auth} if auth else {}
            if body is not None:
                kwargs["json"] = body
            answer = ctx.http.request(method, "trust", path, **kwargs)
            if answer.status_code != 401:
                wrong.append(f"{method} {path} with {label} answered {answer.status_code}")
    _expect_all(ctx, wrong, "expected a refusal (401, or 403/404 for the applicant's routes)")


# -- isolation --------------------------------------------------------------------------------------------------------


@check(
    "security.isolation.credential",
    title="A person's signing credential is neither seen nor used by anyone else",
    cites=(
        "Cloud Signature Consortium API v2.0.0.2, credentials/list and credentials/info",
        "OWASP ASVS 4.0.3 V4.2.1 (IDOR)",
    ),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def credential_isolation(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    other: Tokens = ctx.login("collaborator")
    credential = holder.personal.id
    listed = ctx.expect_status(holders.csc(ctx, other, "/credentials/list", {}), 200, what="credentials/list")
    ctx.expect(credential not in listed.get("credentialIDs", []), "another person is offered the credential")
    wrong = []
    for path, body in (
        ("/credentials/info", {"credentialID": credential}),
        ("/credentials/sendOTP", {"credentialID": credential}),
        ("/credentials/authorize", {"credentialID": credential, "numSignatures": 1, "hashes": holders.new_hashes(1)}),
    ):
        answer = holders.csc(ctx, other, path, body)
        if answer.status_code not in (403, 404):
            wrong.append(f"{path} of another person's credential answered {answer.status_code}")
    _expect_all(ctx, wrong, "expected 403 or 404")


@check(
    "security.isolation.firm",
    title="A firm's delegations are seen and granted by its chartered accountants only",
    cites=("Guide : délégations accordées par l'expert-comptable, cabinet par cabinet", "OWASP ASVS 4.0.3 V4.2.1"),
    severity=Severity.CRITICAL,
)
def firm_isolation(ctx: CheckContext) -> None:
    firm = _firm(ctx)
    wrong = []
    for role in ("collaborator", "second_accountant"):
        tokens = ctx.login(role)
        listed = ctx.http.get("platform", f"/firms/{firm}/delegations", headers=tokens.bearer)
        if listed.status_code not in (403, 404):
            wrong.append(f"the {role} lists the delegations of {firm}: {listed.status_code}")
    outsider = ctx.login("second_accountant")
    collaborator = ctx.target.account("collaborator")
    granted = ctx.http.post(
        "platform",
        f"/firms/{firm}/delegations",
        json={"user_id": collaborator.user_id or collaborator.login, "kind": "seal"},
        headers=outsider.bearer,
    )
    if granted.status_code not in (403, 404):
        wrong.append(f"an accountant of another firm grants a delegation in {firm}: {granted.status_code}")
    _expect_all(ctx, wrong, "expected 403 or 404")


# -- errors -----------------------------------------------------------------------------------------------------------


def _bad_requests(ctx: CheckContext, tokens: Tokens) -> list[tuple[str, requests.Response]]:
    """Requests a careless provider may choke on, each with a label."""
    auth = tokens.bearer
    operator = (ctx.target.operator.client_id, ctx.target.operator.client_secret or "")
    reg = steps.create(ctx)
    firm = _firm(ctx)
    return [
        (
            "platform: a number as mobile",
            ctx.http.post("platform", "/registration/profile", json={"mobile_number": 7}, headers=auth),
        ),
        (
            "platform: unknown delegation kind",
            ctx.http.post("platform", f"/firms/{firm}/delegations", json={"user_id": [1], "kind": {}}, headers=auth),
        ),
        ("platform: unknown firm", ctx.http.get("platform", "/firms/frm_does_not_exist/delegations", headers=auth)),
        (
            "trust: a 5000-character e-mail",
            ctx.http.post("trust", "/registrations", json={"email": "x" * 5000, "level": 3}, auth=operator),
        ),
        ("trust: unknown registration", ctx.http.get("trust", "/registrations/reg_does_not_exist", headers=reg.auth)),
        (
            "trust: identity with wrong types",
            ctx.http.post(
                "trust", reg.path("/identity"), json={"birth_date": ["1980"], "accept_terms": "yes"}, headers=reg.auth
            ),
        ),
        ("csc: a number as credentialID", holders.csc(ctx, tokens, "/credentials/info", {"credentialID": 12})),
        (
            "csc: signHash with wrong types",
            holders.csc(ctx, tokens, "/signatures/signHash", {"credentialID": "x", "SAD": {"a": 1}, "hashes": "x"}),
        ),
        (
            "csc: authorize with wrong types",
            holders.csc(ctx, tokens, "/credentials/authorize", {"numSignatures": "many"}),
        ),
    ]


@check(
    "security.errors.no_internals",
    title="Error bodies are RFC 9457 problems that show no traceback, SQL or server path",
    cites=("RFC 9457 §3 and §5 (security considerations)", OWASP_ERRORS),
    severity=Severity.MAJOR,
)
def no_internals(ctx: CheckContext) -> None:
    tokens = ctx.login("accountant")
    wrong, not_problems = [], []
    for label, answer in _bad_requests(ctx, tokens):
        text = answer.text
        leaks = [p.pattern for p in _INTERNALS if p.search(text)]
        if leaks:
            wrong.append(f"{label} ({answer.status_code}) shows {leaks[0]!r}")
        if answer.status_code >= 400 and "problem+json" not in answer.headers.get("Content-Type", ""):
            not_problems.append(label)
    _expect_all(ctx, wrong, "internals in error bodies")
    if not_problems:
        ctx.warn("errors not served as application/problem+json: " + ", ".join(not_problems))


_NOT_OBJECTS: tuple[tuple[str, bytes, str], ...] = (
    ("text that is not JSON", b"{not json", "text/plain"),
    ("malformed JSON", b'{"a": ', "application/json"),
    ("a JSON array", b"[1, 2]", "application/json"),
    ("JSON nested a hundred thousand deep", b"[" * 100_000, "application/json"),
)


@check(
    "security.errors.no_server_error",
    title="Bodies that are not JSON objects are 4xx problems, never a 500",
    cites=("RFC 9110 §15.5.1 (400) and §15.6.1 (500: the server's fault, not the client's)", RFC_9457),
    severity=Severity.MAJOR,
)
def no_server_error(ctx: CheckContext) -> None:
    tokens = ctx.login("accountant")
    reg = steps.create(ctx)
    firm = _firm(ctx)
    operator = (ctx.target.operator.client_id, ctx.target.operator.client_secret or "")
    targets: list[tuple[str, str, dict[str, Any]]] = [
        ("platform", "/registration/profile", {"headers": tokens.bearer}),
        ("platform", "/registration/terms", {"headers": tokens.bearer}),
        ("platform", f"/firms/{firm}/delegations", {"headers": tokens.bearer}),
        ("trust", "/registrations", {"auth": operator}),
        ("trust", reg.path("/identity"), {"headers": reg.auth}),
        ("trust", reg.path("/agreement/sign"), {"headers": reg.auth}),
        ("csc", "/credentials/info", {"headers": tokens.bearer}),
        ("csc", "/credentials/authorize", {"headers": tokens.bearer}),
    ]
    wrong = []
    for party, path, options in targets:
        for label, body, media_type in _NOT_OBJECTS:
            headers = {**options.get("headers", {}), "Content-Type": media_type}
            kwargs = {k: v for k, v in options.items() if k != "headers"}
            answer = ctx.http.post(party, path, data=body, headers=headers, **kwargs)
            if answer.status_code >= 500:
                wrong.append(f"POST {path} with {label} answered {answer.status_code}")
    _expect_all(ctx, wrong, "bad input made the server fail")


_CODE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
JESIGN_ERRORS = "jesign docs, Architecture: Errors (code, request_id equal to the X-Request-Id header)"


def problem_findings(answer: requests.Response) -> list[str]:
    """What is wrong with an error answer as an RFC 9457 problem with jesign's members (DESIGN.md §5): the media
    type; ``type`` a URI reference; ``title`` and ``detail`` text; ``status`` the HTTP status; ``code`` snake_case;
    ``request_id`` the response's ``X-Request-Id``; ``errors``, if present, a list of objects naming a field."""
    found = []
    media_type = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type != "application/problem+json":
        found.append(f"served as {media_type or 'nothing'}, not application/problem+json (RFC 9457 §3, §6.1)")
    try:
        body = answer.json()
    except ValueError:
        return [*found, "the body is not JSON"]
    if not isinstance(body, dict):
        return [*found, "the body is not a JSON object (RFC 9457 §3)"]
    kind = body.get("type")
    if not isinstance(kind, str) or not kind or (not urlsplit(kind).scheme and not kind.startswith("/")):
        found.append(f"type {kind!r} is not a URI reference (RFC 9457 §3.1.1)")
    for member in ("title", "detail"):
        if not isinstance(body.get(member), str) or not body.get(member):
            found.append(f"{member} {body.get(member)!r} is not a text (RFC 9457 §3.1.3, §3.1.4)")
    status = body.get("status")
    if status != answer.status_code:
        found.append(f"status {status!r} is not the HTTP status {answer.status_code} (RFC 9457 §3.1.2)")
    code = body.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        found.append(f"code {code!r} is not a stable snake_case code")
    header = answer.headers.get("X-Request-Id")
    if not header:
        found.append("no X-Request-Id header")
    elif body.get("request_id") != header:
        found.append(f"request_id {body.get('request_id')!r} is not the X-Request-Id header {header!r}")
    errors = body.get("errors")
    if errors is not None and (
        not isinstance(errors, list) or not all(isinstance(e, dict) and e.get("field") for e in errors)
    ):
        found.append(f"errors {errors!r} is not a list of field errors")
    return found


@check(
    "security.errors.problem_details",
    title="Every error is an RFC 9457 problem whose members hold their values: status the HTTP status, request_id "
    "the X-Request-Id, a snake_case code",
    cites=(
        "RFC 9457 §3 and §3.1 (type, title, status, detail)",
        "RFC 9457 §6.1 (application/problem+json)",
        JESIGN_ERRORS,
    ),
    severity=Severity.MAJOR,
)
def problem_details(ctx: CheckContext) -> None:
    """Errors of each kind from each party (401 without a token, 400 for a member of the wrong type, 404 for what
    does not exist, 403 for another firm), each sent with its own ``X-Request-Id``: every one is judged by
    :func:`problem_findings`. A provider that does not keep the caller's ``X-Request-Id`` gets a WARNING."""
    tokens = ctx.login("accountant")
    reg = steps.create(ctx)
    cases: list[tuple[str, str, str, str, dict[str, Any]]] = [
        ("platform: no token", "GET", "platform", "/me", {}),
        (
            "platform: a number as mobile",
            "POST",
            "platform",
            "/registration/profile",
            {"json": {"mobile_number": 7}, "headers": tokens.bearer},
        ),
        (
            "platform: unknown firm",
            "GET",
            "platform",
            "/firms/frm_does_not_exist/delegations",
            {"headers": tokens.bearer},
        ),
        ("platform: unknown route", "GET", "platform", "/does-not-exist", {"headers": tokens.bearer}),
        ("trust: no operator credentials", "POST", "trust", "/registrations", {"json": {}}),
        ("trust: unknown registration", "GET", "trust", "/registrations/reg_does_not_exist", {"headers": reg.auth}),
        (
            "trust: identity with wrong types",
            "POST",
            "trust",
            reg.path("/identity"),
            {"json": {"birth_date": ["1980"]}, "headers": reg.auth},
        ),
        ("csc: no token", "POST", "csc", "/credentials/list", {"json": {}}),
        (
            "csc: a number as credentialID",
            "POST",
            "csc",
            "/credentials/info",
            {"json": {"credentialID": 12}, "headers": tokens.bearer},
        ),
        (
            "csc: unknown credential",
            "POST",
            "csc",
            "/credentials/info",
            {"json": {"credentialID": "cred_does_not_exist"}, "headers": tokens.bearer},
        ),
        ("pki: unknown CRL", "GET", "pki", "/crl/does-not-exist.crl", {}),
        ("pki: OCSP with a method it does not take", "PUT", "pki", "/ocsp", {}),
    ]
    wrong, not_kept = [], []
    for label, method, party, path, options in cases:
        sent = f"conformance-{secrets.token_hex(8)}"
        headers = {**options.get("headers", {}), "X-Request-Id": sent}
        answer = ctx.http.request(method, party, path, **{**options, "headers": headers})
        if answer.status_code < 400:
            ctx.note(f"{label}: answered {answer.status_code}, not an error: not judged here")
            continue
        wrong += [f"{label} ({answer.status_code}): {f}" for f in problem_findings(answer)]
        if answer.headers.get("X-Request-Id") != sent:
            not_kept.append(label)
    _expect_all(ctx, wrong, "problem details")
    if not_kept:
        ctx.warn("the caller's X-Request-Id is not kept: " + ", ".join(not_kept))
