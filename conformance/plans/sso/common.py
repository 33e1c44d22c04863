"""What the ``sso`` checks share: the discovery document, fresh codes, redemptions, and the judgement of an OAuth
error answer (RFC 6749 section 5.2).

Every check asks for its own codes (:func:`fresh_code`), through the harness, as the accountant: a code is tried
once for one rule, so that a provider that burns a code after a failed attempt (which is allowed) is judged on the
rule and not on the burnt code.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from conformance.context import CheckContext, UnexpectedAnswer
from conformance.oidc import (
    Answer,
    AuthorizationRequest,
    LoginError,
    answered_login,
    authorization_query,
    authorize,
    code_for,
    discovery,
    new_request,
    redeem,
    refresh,
)
from conformance.registry import fixture
from conformance.target import Credentials

RFC_6749 = "RFC 6749"
RFC_6750 = "RFC 6750"
RFC_7636 = "RFC 7636"
RFC_8252 = "RFC 8252 (OAuth 2.0 for Native Apps)"
RFC_9700 = "RFC 9700 (OAuth 2.0 Security Best Current Practice)"
CORE = "OpenID Connect Core 1.0"
#: The characters RFC 6749 section 5.2 allows in error_description: %x20-21 / %x23-5B / %x5D-7E.
DESCRIPTION_CHARACTERS = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}


def meta(ctx: CheckContext) -> dict[str, Any]:
    """The SSO's discovery document (read once per plan run)."""
    found = ctx.plan_state.get("sso:meta")
    if found is None:
        try:
            found = ctx.plan_state["sso:meta"] = discovery(ctx.http)
        except LoginError as exc:
            raise UnexpectedAnswer(str(exc)) from exc
    return dict(found)


def token_endpoint(ctx: CheckContext) -> str:
    return str(meta(ctx)["token_endpoint"])


def land(ctx: CheckContext, query: dict[str, str]) -> dict[str, str] | None:
    """Send the accountant to the authorization endpoint with ``query``; the parameters of the redirect, or None
    (noted in the report) when the SSO did not redirect to ``query["redirect_uri"]``."""
    try:
        return authorize(ctx.http, ctx.harness, ctx.target.account("accountant"), query, meta=meta(ctx))
    except LoginError as exc:
        ctx.note(f"no redirect to {query['redirect_uri']}: {exc}")
        return None


def fresh_code(
    ctx: CheckContext, request: AuthorizationRequest | None = None, *, role: str = "accountant"
) -> tuple[AuthorizationRequest, str]:
    """A new authorization code for ``role``, asked with ``request`` (fresh values by default)."""
    request = request or new_request()
    try:
        code = code_for(ctx.http, ctx.harness, ctx.target, ctx.target.account(role), request, meta=meta(ctx))
    except LoginError as exc:
        raise UnexpectedAnswer(f"the SSO gave no code to a proper authorization request: {exc}") from exc
    return request, code


def redeem_code(
    ctx: CheckContext,
    code: str,
    verifier: str | None,
    *,
    client: Credentials | None = None,
    redirect_uri: str | None = None,
    omit_redirect_uri: bool = False,
) -> requests.Response:
    return redeem(
        ctx.http,
        ctx.target,
        token_endpoint(ctx),
        code,
        verifier,
        client=client,
        redirect_uri=redirect_uri,
        omit_redirect_uri=omit_redirect_uri,
    )


def refresh_with(
    ctx: CheckContext, refresh_token: str, *, client: Credentials | None = None, scope: str | None = None
) -> requests.Response:
    return refresh(ctx.http, ctx.target, token_endpoint(ctx), refresh_token, client=client, scope=scope)


def granted(ctx: CheckContext, response: requests.Response, what: str) -> dict[str, Any]:
    """A token response that must succeed on the way to the rule (anything else is ERROR); its tokens masked."""
    payload = ctx.expect_status(response, 200, what=what)
    if not isinstance(payload, dict) or not isinstance(payload.get("access_token"), str):
        raise UnexpectedAnswer(f"{what} answered 200 without an access_token")
    for name in ("access_token", "id_token", "refresh_token"):
        value = payload.get(name)
        ctx.http.add_secret(value if isinstance(value, str) else None)
    return payload


def new_tokens(ctx: CheckContext, *, role: str = "accountant") -> dict[str, Any]:
    """The token response of a fresh code of ``role``."""
    request, code = fresh_code(ctx, role=role)
    return granted(ctx, redeem_code(ctx, code, request.verifier), "redeeming a fresh code")


def refusal(
    ctx: CheckContext,
    response: requests.Response,
    *,
    status: int | tuple[int, ...] = 400,
    errors: str | tuple[str, ...],
    rule: str,
) -> dict[str, Any]:
    """The rule is a refusal of the token endpoint, shaped as RFC 6749 section 5.2 says, else FAILED."""
    statuses = (status,) if isinstance(status, int) else status
    codes = (errors,) if isinstance(errors, str) else errors
    if 200 <= response.status_code < 300:
        ctx.fail(f"{rule}: accepted ({response.status_code})")
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    if response.status_code not in statuses or error not in codes:
        shown = error if error is not None else (response.text[:80] or "no body")
        ctx.fail(
            f"{rule}: refused with {response.status_code} {shown!r}, expected "
            f"{' or '.join(map(str, statuses))} {' or '.join(codes)} (RFC 6749 §5.2)"
        )
    assert isinstance(body, dict)
    return body


def error_shape_findings(response: requests.Response) -> list[str]:
    """How an error answer of the token endpoint strays from RFC 6749 section 5.2's shape."""
    found = []
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if media_type != "application/json":
        found.append(f"Content-Type is {media_type or 'missing'}, not application/json")
    body = json_body(response)
    if not isinstance(body, dict):
        return [*found, "the body is not a JSON object"]
    if not isinstance(body.get("error"), str):
        found.append(f"no 'error' string member (members: {', '.join(sorted(body)) or 'none'})")
    description = body.get("error_description")
    if description is not None and (not isinstance(description, str) or set(description) - DESCRIPTION_CHARACTERS):
        found.append("error_description has characters outside %x20-21 / %x23-5B / %x5D-7E")
    return found


def userinfo(ctx: CheckContext, access_token: str | None, *, method: str = "GET") -> requests.Response:
    headers = {"Authorization": f"Bearer {access_token}"} if access_token is not None else {}
    return ctx.http.request(method, "sso", str(meta(ctx).get("userinfo_endpoint", "/userinfo")), headers=headers)


def second_client_tokens(ctx: CheckContext, client: Credentials) -> dict[str, Any]:
    """The token response of a fresh code of the accountant for ``client`` (the second client), asked with the
    target's redirect_uri (SKIPPED when the SSO gives that client no code there)."""
    request = new_request()
    query = {
        **authorization_query(ctx.target, challenge=request.challenge, state=request.state, nonce=request.nonce),
        "client_id": client.client_id,
    }
    landed = land(ctx, query)
    if landed is None or "code" not in landed:
        ctx.skip(f"the SSO gives {client.client_id} no code at {ctx.target.redirect_uri}")
    answer = redeem_code(ctx, landed["code"], request.verifier, client=client)
    return granted(ctx, answer, f"redeeming a fresh code of {client.client_id}")


def second_client(ctx: CheckContext) -> Credentials:
    if ctx.target.second_client is None:
        ctx.skip("the target names no second OIDC client ([oidc.second_client]): a binding to the client needs two")
    return ctx.target.second_client


def other_redirect_uri(redirect_uri: str) -> str:
    """Another URI than ``redirect_uri``: on a loopback IP literal the same URI on another port (which the
    authorization endpoint accepts, RFC 8252 section 7.3); elsewhere with a query added."""
    parts = urlsplit(redirect_uri)
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1"):
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        port = 49151 if parts.port != 49151 else 49150
        return urlunsplit(parts._replace(netloc=f"{host}:{port}"))
    return f"{redirect_uri}{'&' if parts.query else '?'}conformance={secrets.token_hex(4)}"


@fixture
def accountant_answer(ctx: CheckContext) -> Answer:
    """One whole login of the accountant, everything sent and received kept: the id_token checks judge it."""
    try:
        return answered_login(ctx.http, ctx.harness, ctx.target, ctx.target.account("accountant"))
    except LoginError as exc:
        raise UnexpectedAnswer(f"the accountant cannot log in: {exc}") from exc


def json_body(response: requests.Response) -> Any:
    """The JSON body of ``response``, or None."""
    try:
        return response.json()
    except ValueError:
        return None
