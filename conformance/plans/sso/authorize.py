"""The authorization endpoint: the state comes back unchanged, and nobody is sent to a redirect_uri that is not
registered, exactly, for the client."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit, urlunsplit

from conformance.context import CheckContext, UnexpectedAnswer
from conformance.oidc import AWKWARD_STATE, authorization_query, new_request, pkce_pair, state_findings
from conformance.plans.sso.common import (
    CORE,
    DESCRIPTION_CHARACTERS,
    RFC_6749,
    RFC_8252,
    RFC_9700,
    granted,
    json_body,
    land,
    meta,
    other_redirect_uri,
    redeem_code,
    userinfo,
)
from conformance.registry import check
from conformance.results import Severity


@check(
    "sso.authorize.state_returned",
    title="The SSO redirects back with the exact state sent, on success and on error",
    cites=(
        f"{RFC_6749} §4.1.2 and §4.1.2.1: state REQUIRED in the answer if sent, the exact value received",
        f"{RFC_6749} §10.12 and {RFC_9700} §4.7: the client's CSRF protection rests on it",
        f"{RFC_6749} appendix A.5: state is any VSCHAR (%x20-7E)",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def state_returned(ctx: CheckContext) -> None:
    """Two states made of random characters and `` +/=?&%#~`` (which URL encodings trip on): one in a proper
    request (the redirect carries the code), one in a request without a PKCE challenge (the SSO answers an error,
    by redirect when it redirects). Each must come back byte for byte."""
    wrong = []
    proper = new_request()
    landed = land(
        ctx, authorization_query(ctx.target, challenge=proper.challenge, state=proper.state, nonce=proper.nonce)
    )
    if landed is None or "code" not in landed:
        raise UnexpectedAnswer("the SSO gave no code to a proper authorization request")
    wrong += [f"success: {f.message}" for f in state_findings(proper.state, landed)]
    state = secrets.token_urlsafe(8) + AWKWARD_STATE[::-1]
    refused = land(ctx, authorization_query(ctx.target, challenge=None, state=state, nonce=secrets.token_urlsafe(16)))
    if refused is None:
        ctx.note("the request without PKCE was answered at the SSO, not by a redirect: no state to compare")
    else:
        wrong += [
            f"{'error' if 'error' in refused else 'success'}: {f.message}" for f in state_findings(state, refused)
        ]
    ctx.expect(not wrong, "the state did not come back as sent: " + "; ".join(wrong))


_LOOPBACK_LITERALS = ("127.0.0.1", "::1")


def loopback(redirect_uri: str) -> bool:
    """Whether ``redirect_uri`` is a loopback IP literal over http, which RFC 8252 section 7.3 lets vary its port."""
    parts = urlsplit(redirect_uri)
    return parts.scheme == "http" and parts.hostname in _LOOPBACK_LITERALS


def _netloc(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


def unregistered_variants(redirect_uri: str) -> list[str]:
    """URIs that are not the registered ``redirect_uri`` but start like it, end like it or look like it: the path
    extended and cut to its root, a query added, a fragment added (RFC 6749 section 3.1.2: never in a redirection
    URI), a user part, the host as the prefix or the user part of another name, the other scheme. On a loopback IP
    literal, where the port may vary (RFC 8252 section 7.3), the same again on another port, and the other loopback
    literal (``[::1]`` for ``127.0.0.1``) on the registered port and on another, a port out of range (65536), a
    host of the local network (``10.0.0.1``) and a private-use scheme (RFC 8252 section 7.1) on another port: only
    the port may differ, and only to a port."""
    parts = urlsplit(redirect_uri)
    path = parts.path or "/"
    extended = path + ("conformance" if path.endswith("/") else "/conformance")
    other_scheme = "https" if parts.scheme == "http" else "http"
    host = parts.hostname or ""

    def near(netloc: str) -> list[str]:
        base = urlunsplit(parts._replace(netloc=netloc))
        at = urlsplit(base)
        return [
            urlunsplit(at._replace(path=extended)),
            urlunsplit(at._replace(path="/")) if path != "/" else urlunsplit(at._replace(path="/conformance")),
            f"{base}{'&' if at.query else '?'}next=https%3A%2F%2Fconformance.invalid%2F",
            urlunsplit(at._replace(fragment="conformance")),
            urlunsplit(at._replace(netloc=f"conformance@{netloc}")),
        ]

    variants = [
        "https://conformance.invalid/callback",
        *near(parts.netloc),
        urlunsplit(parts._replace(netloc=f"{host}.conformance.invalid")),
        urlunsplit(parts._replace(netloc=f"{parts.netloc}@conformance.invalid")),
        urlunsplit(parts._replace(scheme=other_scheme)),
    ]
    if loopback(redirect_uri):
        port = 49151 if parts.port != 49151 else 49150
        other_host = next(h for h in _LOOPBACK_LITERALS if h != host)
        variants += [
            *near(_netloc(host, port)),
            urlunsplit(parts._replace(netloc=_netloc(other_host, parts.port))),
            urlunsplit(parts._replace(netloc=_netloc(other_host, port))),
            urlunsplit(parts._replace(scheme="https", netloc=_netloc(host, port))),
            urlunsplit(parts._replace(netloc=f"{_netloc(host, None)}:65536")),
            urlunsplit(parts._replace(netloc=_netloc("10.0.0.1", port))),
            urlunsplit(parts._replace(scheme="com.jesign.conformance", netloc=_netloc(host, port))),
        ]
    return variants


@check(
    "sso.authorize.redirect_uri_exact",
    title="The SSO sends nobody to a redirect_uri that is not exactly a registered one, not even with an error",
    cites=(
        f"{RFC_6749} §3.1.2.3 and §4.1.2.1: MUST NOT redirect to an invalid or mismatching redirection URI",
        f"{RFC_9700} §2.1 (exact string matching) and §4.1 (insufficient redirect URI validation)",
        f"{RFC_9700} §4.11.2: the authorization server as an open redirector",
        f"{CORE} §3.1.2.1: redirect_uri MUST exactly match a pre-registered one (RFC 3986 §6.2.1 comparison)",
        f"{RFC_6749} §3.1.2: the redirection endpoint URI MUST NOT include a fragment component",
        f"{RFC_8252} §7.3: for a loopback IP literal only the port may vary",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def redirect_uri_exact(ctx: CheckContext) -> None:
    """URIs near the registered one (:func:`unregistered_variants`): another origin, the path extended or cut to
    its root, a query, a fragment or a user part added, the host as the prefix of another name or the user part of
    another, the other scheme; on a loopback IP literal the same on another port, and the other loopback literal.
    Each is sent first without a login (a server error is not a refusal):
    the SSO must not redirect there (an error page is right; a login page means it has not judged the URI yet);
    then, where it showed a login page, with the accountant logged in: it must still not redirect there."""
    wrong = []
    endpoint = meta(ctx)["authorization_endpoint"]
    _, challenge = pkce_pair()
    for variant in unregistered_variants(ctx.target.redirect_uri):
        query = {
            **authorization_query(ctx.target, challenge=challenge, state="s", nonce=secrets.token_urlsafe(16)),
            "redirect_uri": variant,
        }
        answer = ctx.http.get("sso", endpoint, params=query)
        location = answer.headers.get("Location", "")
        if answer.is_redirect and location.startswith(variant.split("#", 1)[0]):
            wrong.append(f"{variant}: redirected there at once ({answer.status_code})")
            continue
        if 400 <= answer.status_code < 500:
            continue  # refused at the SSO before any login, as it should
        if answer.status_code >= 500:
            wrong.append(f"{variant}: a server error ({answer.status_code}), not a refusal")
            continue
        landed = land(ctx, query)
        if landed is not None:
            what = "a code" if "code" in landed else f"the error {landed.get('error')!r}"
            wrong.append(f"{variant}: the logged-in person was redirected there with {what}")
    ctx.expect(not wrong, "redirected to an unregistered URI: " + "; ".join(wrong))


@check(
    "sso.authorize.loopback_any_port",
    title="A registered loopback IP redirect_uri is accepted on another port, and its code redeemed there",
    cites=(
        f"{RFC_8252} §7.3: the authorization server MUST allow any port for loopback IP redirect URIs",
        f"{RFC_6749} §4.1.3: the token request repeats the redirect_uri of the authorization request, identical",
    ),
    severity=Severity.MAJOR,
    needs=("login",),
)
def loopback_any_port(ctx: CheckContext) -> None:
    """Only for a target whose redirect_uri is a loopback IP literal over http (``http://127.0.0.1/...``,
    ``http://[::1]/...``): the same URI on another port (49151) gets a code, redirected there, and the code is
    redeemed with that URI (200)."""
    if not loopback(ctx.target.redirect_uri):
        ctx.skip(f"the target's redirect_uri {ctx.target.redirect_uri} is not a loopback IP literal")
    other = other_redirect_uri(ctx.target.redirect_uri)
    request = new_request()
    query = {
        **authorization_query(ctx.target, challenge=request.challenge, state=request.state, nonce=request.nonce),
        "redirect_uri": other,
    }
    landed = land(ctx, query)
    if landed is None or "code" not in landed:
        shown = "no redirect" if landed is None else f"the error {landed.get('error')!r}"
        ctx.fail(f"the registered loopback URI on another port ({other}) was refused: {shown}")
    granted(ctx, redeem_code(ctx, landed["code"], request.verifier, redirect_uri=other), f"redeeming with {other}")


#: Response types a code-flow-only SSO does not support: the implicit and hybrid flows, "code" in upper case
#: (response types are compared as strings, case-sensitively), and two with a character that an error_description
#: must not carry (on both sides of "code" in alphabetical order), for an SSO that quotes what it refuses.
UNSUPPORTED_RESPONSE_TYPES = ("token", "id_token", "code id_token", "CODE", "tok\u00e9n", "CODE\u00c9")


@check(
    "sso.authorize.unsupported_response_type",
    title="An unsupported response_type is answered at the registered redirect_uri with its error and the state, "
    "and never at an unregistered one",
    cites=(
        f"{RFC_6749} §4.1.2.1: a request that fails for another reason than the redirect URI is answered by "
        "redirect, with error=unsupported_response_type and the state",
        f"{RFC_6749} §3.1.1: response_type values are compared as strings",
        f"{RFC_6749} §4.1.2.1: error_description MUST NOT include characters outside %x20-21 / %x23-5B / %x5D-7E",
        f"{RFC_6749} §4.1.2.1 and {RFC_9700} §4.11.2: never redirected to an invalid redirect URI",
    ),
    severity=Severity.MAJOR,
    needs=("login",),
)
def unsupported_response_type(ctx: CheckContext) -> None:
    """For each response type that the discovery document does not announce among ``token``, ``id_token``,
    ``code id_token`` and ``CODE``: the request (with the registered redirect_uri and a state) is redirected to the
    redirect_uri with ``error=unsupported_response_type`` and the exact state (first without a login; where the SSO
    shows a page, logged in), and an ``error_description``, if any, of the characters RFC 6749 allows (two of the
    response types hold an ``é``). Then ``token`` with an unregistered redirect_uri: never redirected there."""
    announced = meta(ctx).get("response_types_supported", [])
    endpoint = meta(ctx)["authorization_endpoint"]
    _, challenge = pkce_pair()
    wrong = []
    for response_type in (t for t in UNSUPPORTED_RESPONSE_TYPES if t not in announced):
        state = secrets.token_urlsafe(12)
        query = {
            **authorization_query(ctx.target, challenge=challenge, state=state, nonce=secrets.token_urlsafe(16)),
            "response_type": response_type,
        }
        answer = ctx.http.get("sso", endpoint, params=query)
        location = answer.headers.get("Location", "")
        landed: dict[str, str] | None
        if answer.is_redirect and location.startswith(ctx.target.redirect_uri):
            landed = {k: v[0] for k, v in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}
        elif 400 <= answer.status_code < 500:
            wrong.append(f"{response_type!r}: answered {answer.status_code} at the SSO, not by redirect")
            continue
        else:
            landed = land(ctx, query)
        if landed is None:
            wrong.append(f"{response_type!r}: no redirect to the redirect_uri")
        elif "code" in landed or landed.get("error") != "unsupported_response_type":
            wrong.append(f"{response_type!r}: redirected with {landed.get('error') or 'a code'!r}")
        elif landed.get("state") != state:
            wrong.append(f"{response_type!r}: the state came back as {landed.get('state')!r}, not {state!r}")
        elif set(landed.get("error_description", "")) - DESCRIPTION_CHARACTERS:
            wrong.append(f"{response_type!r}: error_description has characters outside %x20-21 / %x23-5B / %x5D-7E")
    if "token" not in announced:
        unregistered = "https://conformance.invalid/callback"
        query = {
            **authorization_query(ctx.target, challenge=challenge, state="s", nonce=secrets.token_urlsafe(16)),
            "response_type": "token",
            "redirect_uri": unregistered,
        }
        answer = ctx.http.get("sso", endpoint, params=query)
        if answer.is_redirect and answer.headers.get("Location", "").startswith(unregistered):
            wrong.append(f"'token' with the unregistered {unregistered}: redirected there")
    ctx.expect(not wrong, "; ".join(wrong))


@check(
    "sso.authorize.announced_parameters",
    title="The request, request_uri and claims parameters are honoured when the discovery document announces them",
    cites=(
        "OpenID Connect Discovery 1.0 §3: claims_parameter_supported and request_parameter_supported default to "
        "false, request_uri_parameter_supported to true",
        f"{CORE} §6.1 and §6.2: a request object that cannot be used is an error (invalid_request_object, "
        "invalid_request_uri), never ignored",
        f"{CORE} §5.5: the claims parameter asks for individual claims, returned at userinfo",
    ),
    severity=Severity.MAJOR,
    needs=("login",),
)
def announced_parameters(ctx: CheckContext) -> None:
    """What the discovery document announces (with Discovery's defaults when it is silent): with
    ``request_parameter_supported``, a proper request carrying ``request=conformance.not-a-request-object`` gets no
    code; with ``request_uri_parameter_supported``, one carrying ``request_uri`` on an unreachable host
    (``https://conformance.invalid/request.jwt``) gets no code; with ``claims_parameter_supported``, a request for
    the scope ``openid`` alone asking for ``email`` at userinfo in ``claims`` gets a userinfo with ``email``. An SSO
    that announces none of them is not tried."""
    document = meta(ctx)
    wrong = []
    extras = []
    if document.get("request_parameter_supported", False) is True:
        extras.append(("request", "conformance.not-a-request-object"))
    if document.get("request_uri_parameter_supported", True) is True:
        extras.append(("request_uri", "https://conformance.invalid/request.jwt"))
    for name, value in extras:
        request = new_request()
        query = {
            **authorization_query(ctx.target, challenge=request.challenge, state=request.state, nonce=request.nonce),
            name: value,
        }
        landed = land(ctx, query)
        if landed is not None and "code" in landed:
            wrong.append(f"{name}={value}: a code, the parameter ignored though announced")
    if document.get("claims_parameter_supported", False) is True:
        request = new_request()
        query = {
            **authorization_query(ctx.target, challenge=request.challenge, state=request.state, nonce=request.nonce),
            "scope": "openid",
            "claims": '{"userinfo": {"email": {"essential": true}}}',
        }
        landed = land(ctx, query)
        if landed is None or "code" not in landed:
            wrong.append("claims: no code for a request with the claims parameter")
        else:
            tokens = granted(ctx, redeem_code(ctx, landed["code"], request.verifier), "redeeming its code")
            info = json_body(userinfo(ctx, str(tokens["access_token"])))
            if not isinstance(info, dict) or "email" not in info:
                wrong.append("claims: userinfo has no email though the claims parameter asked for it")
    if not extras and document.get("claims_parameter_supported", False) is not True:
        ctx.note("the discovery document announces none of request, request_uri and claims")
    ctx.expect(not wrong, "; ".join(wrong))
