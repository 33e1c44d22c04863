"""The token endpoint's answers: errors in RFC 6749's shape with the right code and status, successes that no cache
keeps and that say what they hold."""

from __future__ import annotations

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
    """Five bad token requests: an unknown code (400 ``invalid_grant``), no code (400 ``invalid_request``), no
    grant_type (400 ``invalid_request``), a grant_type the SSO does not announce (400 ``unsupported_grant_type``),
    and, for a confidential client, a wrong secret in the Authorization header (401 ``invalid_client`` with a
    ``WWW-Authenticate: Basic`` challenge). Each answer is a JSON object in RFC 6749's shape; one that a cache may
    keep (no ``Cache-Control: no-store``) is a WARNING."""
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
    WARNING), the scope granted within the scope asked for (more: WARNING)."""
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
        scope = body.get("scope")
        if scope is not None:
            extra = set(str(scope).split()) - set(ctx.target.scope.split())
            if extra:
                ctx.warn(f"{label}: the scope granted has {', '.join(sorted(extra))}, which was not asked for")
    ctx.expect(not failures, "; ".join(failures))
