"""The token endpoint's answers: errors in RFC 6749's shape with the right code and status, successes that no cache
keeps and that say what they hold."""

from __future__ import annotations

import base64
import secrets

import requests

from conformance.context import CheckContext
from conformance.plans.sso.common import (
    RFC_6749,
    RFC_6750,
    accountant_answer,
    error_shape_findings,
    json_body,
    meta,
    new_tokens,
    refresh_with,
    token_endpoint,
)
from conformance.registry import check
from conformance.results import Severity


def _post(ctx: CheckContext, body: dict[str, str], *, secret: str | None = "") -> requests.Response:
    """POST ``body`` to the token endpoint as the target's client (with ``secret`` instead of its own when given)."""
    client = ctx.target.oidc
    password = client.client_secret if secret == "" else secret
    if password is None:
        return ctx.http.post("sso", token_endpoint(ctx), data={**body, "client_id": client.client_id})
    return ctx.http.post("sso", token_endpoint(ctx), data=body, auth=(client.client_id, password))


@check(
    "sso.token.error_responses",
    title="The token endpoint's refusals are RFC 6749 JSON errors, with the code and status each case calls for",
    cites=(
        f"{RFC_6749} §5.2: error, error_description (restricted ASCII), application/json; 400, or 401 with "
        "WWW-Authenticate for a client that authenticated with the Authorization header",
        f"{RFC_6749} §5.2: invalid_request, invalid_client, invalid_grant, unsupported_grant_type",
    ),
    severity=Severity.MAJOR,
)
def error_responses(ctx: CheckContext) -> None:
    """Six bad token requests: an unknown code (400 ``invalid_grant``), no code (400 ``invalid_request``), no
    grant_type (400 ``invalid_request``), an unknown refresh token (400 ``invalid_grant``), a grant_type the SSO
    does not announce (400 ``unsupported_grant_type``), and, for a confidential client, a wrong secret in the
    Authorization header (401 ``invalid_client`` with a ``WWW-Authenticate: Basic`` challenge). Each answer is a
    JSON object in RFC 6749's shape; one that a cache may keep (no ``Cache-Control: no-store``) is a WARNING."""
    unknown_grant = "urn:jesign:conformance:unknown-grant"
    announced = meta(ctx).get("grant_types_supported", [])
    verifier = secrets.token_urlsafe(48)
    redirect_uri = ctx.target.redirect_uri
    cases: list[tuple[str, requests.Response, int, str]] = [
        (
            "an unknown code",
            _post(
                ctx,
                {
                    "grant_type": "authorization_code",
                    "code": secrets.token_urlsafe(32),
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier,
                },
            ),
            400,
            "invalid_grant",
        ),
        (
            "no code",
            _post(ctx, {"grant_type": "authorization_code", "redirect_uri": redirect_uri, "code_verifier": verifier}),
            400,
            "invalid_request",
        ),
        ("no grant_type", _post(ctx, {"code": secrets.token_urlsafe(32)}), 400, "invalid_request"),
        (
            "an unknown refresh token",
            _post(ctx, {"grant_type": "refresh_token", "refresh_token": secrets.token_urlsafe(48)}),
            400,
            "invalid_grant",
        ),
    ]
    #: Answers that are defensible readings of §5.2 though not the best one: a WARNING, not a failure.
    tolerated = {("no grant_type", "unsupported_grant_type")}
    if unknown_grant not in announced:
        cases.append(
            ("an unknown grant_type", _post(ctx, {"grant_type": unknown_grant}), 400, "unsupported_grant_type")
        )
    if ctx.target.oidc.client_secret:
        wrong = _post(ctx, {"grant_type": "refresh_token", "refresh_token": "x" * 43}, secret="wrong-" + "x" * 20)
        cases.append(("a wrong client secret", wrong, 401, "invalid_client"))
    wrong_answers = []
    for label, answer, status, error in cases:
        shape = error_shape_findings(answer)
        body = json_body(answer)
        found = body.get("error") if isinstance(body, dict) else None
        if answer.status_code == status and (label, found) in tolerated:
            ctx.warn(f"{label}: {found!r}; a missing parameter is {error!r} ({RFC_6749} §5.2)")
        elif answer.status_code != status or found != error:
            wrong_answers.append(f"{label}: {answer.status_code} {found!r}, expected {status} {error!r}")
        wrong_answers += [f"{label}: {finding}" for finding in shape]
        if status == 401 and not answer.headers.get("WWW-Authenticate", "").lower().startswith("basic"):
            wrong_answers.append(f"{label}: 401 without a WWW-Authenticate: Basic challenge")
        if "no-store" not in answer.headers.get("Cache-Control", "").lower():
            ctx.warn(f"{label}: the refusal may be cached (no Cache-Control: no-store)")
    ctx.expect(not wrong_answers, "; ".join(wrong_answers))


def _unknown_code(ctx: CheckContext) -> dict[str, str]:
    """A token request for a code nobody issued: ``invalid_grant`` once the client is authenticated."""
    return {
        "grant_type": "authorization_code",
        "code": secrets.token_urlsafe(32),
        "redirect_uri": ctx.target.redirect_uri,
        "code_verifier": secrets.token_urlsafe(48),
    }


#: Schemes under which a confidential client's Basic credentials must not count (on both sides of "Basic" in
#: alphabetical order, as a careless comparison of the scheme would let one side through).
OTHER_SCHEMES = ("Bearer", "Digest", "AWS4-HMAC-SHA256", "Basicx")


@check(
    "sso.token.client_authentication",
    title="A confidential client authenticates with its secret in an 'Authorization: Basic' header, and no other way",
    cites=(
        f"{RFC_6749} §2.3.1: client_secret_basic is the HTTP Basic scheme; §3.2.1: a confidential client MUST "
        "authenticate at the token endpoint",
        f"{RFC_6749} §5.2: invalid_client; 401 with WWW-Authenticate when the client used the Authorization header",
        "RFC 7235 §2.1 and RFC 7617 §2: credentials are read under the scheme they are sent with, base64 of UTF-8",
        "RFC 4648 §3.3: data with characters outside the base alphabet MUST be rejected",
    ),
    severity=Severity.CRITICAL,
)
def client_authentication(ctx: CheckContext) -> None:
    """For a confidential target client (SKIPPED for a public one). Every request asks for an unknown code, so that
    an authenticated client gets ``invalid_grant`` and an unauthenticated one ``invalid_client``. The client's id and
    secret in a proper ``Basic`` header: 400 ``invalid_grant``. The same base64 credentials under the schemes
    ``Bearer``, ``Digest``, ``AWS4-HMAC-SHA256`` and ``Basicx``: 401 ``invalid_client``; under ``Basic`` with a
    ``*`` inside (not base64, which RFC 4648 §3.3 says to reject), and Basic credentials that are not UTF-8: 401
    ``invalid_client``, not an error of the server. Its ``client_id`` alone in
    the body (no secret, no header): 400 or 401 ``invalid_client``. An unknown client id with a secret in a
    ``Basic`` header: 401 ``invalid_client`` with a ``WWW-Authenticate: Basic`` challenge."""
    client = ctx.target.oidc
    if not client.client_secret:
        ctx.skip("the target's client is public: it does not authenticate with a secret")
    endpoint = token_endpoint(ctx)
    credentials = base64.b64encode(f"{client.client_id}:{client.client_secret}".encode()).decode()
    ctx.http.add_secret(credentials)
    wrong: list[str] = []

    def judge(label: str, answer: requests.Response, statuses: tuple[int, ...], error: str) -> None:
        body = json_body(answer)
        found = body.get("error") if isinstance(body, dict) else None
        if answer.status_code not in statuses or found != error:
            expected = " or ".join(map(str, statuses))
            wrong.append(f"{label}: {answer.status_code} {found!r}, expected {expected} {error!r}")

    proper = ctx.http.post("sso", endpoint, data=_unknown_code(ctx), headers={"Authorization": f"Basic {credentials}"})
    judge("id and secret in a Basic header", proper, (400,), "invalid_grant")
    for scheme in OTHER_SCHEMES:
        answer = ctx.http.post(
            "sso", endpoint, data=_unknown_code(ctx), headers={"Authorization": f"{scheme} {credentials}"}
        )
        judge(f"the Basic credentials under the scheme {scheme!r}", answer, (401,), "invalid_client")
    not_utf8 = base64.b64encode(b"\xff\xfe:\xfd").decode()
    for label, header in (
        ("the Basic credentials with a '*' inside (not base64)", f"Basic {credentials[:4]}*{credentials[4:]}"),
        ("Basic credentials that are not UTF-8", f"Basic {not_utf8}"),
    ):
        answer = ctx.http.post("sso", endpoint, data=_unknown_code(ctx), headers={"Authorization": header})
        judge(label, answer, (401,), "invalid_client")
    alone = ctx.http.post("sso", endpoint, data={**_unknown_code(ctx), "client_id": client.client_id})
    judge("the client_id alone in the body, no secret", alone, (400, 401), "invalid_client")
    unknown = ctx.http.post("sso", endpoint, data=_unknown_code(ctx), auth=("conformance-unknown-client", "x" * 32))
    judge("an unknown client in a Basic header", unknown, (401,), "invalid_client")
    if unknown.status_code == 401 and not unknown.headers.get("WWW-Authenticate", "").lower().startswith("basic"):
        wrong.append("an unknown client in a Basic header: 401 without a WWW-Authenticate: Basic challenge")
    ctx.expect(not wrong, "; ".join(wrong))


def _cache_findings(answer: requests.Response, label: str) -> tuple[list[str], list[str]]:
    """(failures, warnings) about the cache headers of a response that holds tokens."""
    cache_control = answer.headers.get("Cache-Control", "").lower()
    failures, warnings = [], []
    if "no-store" not in [d.strip() for d in cache_control.split(",")]:
        failures.append(f"{label}: Cache-Control is {cache_control or 'missing'!r}, not no-store")
    if answer.headers.get("Pragma", "").lower() != "no-cache":
        warnings.append(f"{label}: no 'Pragma: no-cache' ({RFC_6749} §5.1 asks for it too)")
    return failures, warnings


@check(
    "sso.token.success_response",
    title="Token responses are never cached, and say the token type, lifetime and scope granted",
    cites=(
        f"{RFC_6749} §5.1: application/json; Cache-Control: no-store and Pragma: no-cache on any answer holding "
        "tokens; token_type; expires_in",
        f"{RFC_6750} §4 and {RFC_6749} §7.1: token_type Bearer (case-insensitive)",
        f"{RFC_6749} §3.3 and §5.1: scope, when it differs from the request's",
    ),
    severity=Severity.MAJOR,
    needs=("login",),
)
def success_response(ctx: CheckContext) -> None:
    """The shared login's token response, and a refresh's: ``application/json``, ``Cache-Control: no-store``
    (``Pragma: no-cache`` missing is a WARNING), ``token_type`` Bearer, ``expires_in`` a positive integer (missing:
    WARNING) and the lifetime the target announces (``rules.access_token_lifetime_seconds``), if it does, the scope
    granted within the scope asked for (more: WARNING)."""
    answer = ctx.use(accountant_answer)
    responses = [("the code's token response", answer.response, answer.payload)]
    refresh_token = new_tokens(ctx).get("refresh_token")  # not the shared login's: other checks use its tokens
    if isinstance(refresh_token, str):
        refreshed = refresh_with(ctx, refresh_token)
        payload = ctx.expect_status(refreshed, 200, what="using the refresh token")
        ctx.http.add_secret(payload.get("access_token") if isinstance(payload, dict) else None)
        ctx.http.add_secret(payload.get("refresh_token") if isinstance(payload, dict) else None)
        responses.append(("the refresh's token response", refreshed, payload if isinstance(payload, dict) else {}))
    failures: list[str] = []
    for label, response, body in responses:
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if media_type != "application/json":
            failures.append(f"{label}: Content-Type is {media_type or 'missing'}, not application/json")
        cache_failures, cache_warnings = _cache_findings(response, label)
        failures += cache_failures
        for warning in cache_warnings:
            ctx.warn(warning)
        token_type = body.get("token_type")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            failures.append(f"{label}: token_type is {token_type!r}, not Bearer")
        expires_in = body.get("expires_in")
        if expires_in is None:
            ctx.warn(f"{label}: no expires_in ({RFC_6749} §5.1 RECOMMENDED)")
        elif not isinstance(expires_in, int) or isinstance(expires_in, bool) or expires_in <= 0:
            failures.append(f"{label}: expires_in is {expires_in!r}, not a positive number of seconds")
        elif (announced := ctx.target.rules.access_token_lifetime_seconds) and expires_in != announced:
            failures.append(f"{label}: expires_in is {expires_in}, not the {announced} s the target announces")
        scope = body.get("scope")
        if scope is not None:
            extra = set(str(scope).split()) - set(ctx.target.scope.split())
            if extra:
                ctx.warn(f"{label}: the scope granted has {', '.join(sorted(extra))}, which was not asked for")
    ctx.expect(not failures, "; ".join(failures))
