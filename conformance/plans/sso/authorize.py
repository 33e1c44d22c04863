"""The authorization endpoint: the state comes back unchanged, and nobody is sent to a redirect_uri that is not
registered, exactly, for the client."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit, urlunsplit

from conformance.context import CheckContext, UnexpectedAnswer
from conformance.oidc import AWKWARD_STATE, authorization_query, new_request, pkce_pair, state_findings
from conformance.plans.sso.common import CORE, RFC_6749, RFC_9700, land, meta
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


def unregistered_variants(redirect_uri: str) -> list[str]:
    """URIs that are not the registered ``redirect_uri`` but start like it, end like it or look like it."""
    parts = urlsplit(redirect_uri)
    path = parts.path or "/"
    extended = path + ("conformance" if path.endswith("/") else "/conformance")
    other_scheme = "https" if parts.scheme == "http" else "http"
    return [
        "https://conformance.invalid/callback",
        urlunsplit(parts._replace(path=extended)),
        f"{redirect_uri}{'&' if parts.query else '?'}next=https%3A%2F%2Fconformance.invalid%2F",
        urlunsplit(parts._replace(netloc=f"{parts.hostname}.conformance.invalid")),
        urlunsplit(parts._replace(netloc=f"{parts.netloc}@conformance.invalid")),
        urlunsplit(parts._replace(scheme=other_scheme)),
    ]


@check(
    "sso.authorize.redirect_uri_exact",
    title="The SSO sends nobody to a redirect_uri that is not exactly a registered one, not even with an error",
    cites=(
        f"{RFC_6749} §3.1.2.3 and §4.1.2.1: MUST NOT redirect to an invalid or mismatching redirection URI",
        f"{RFC_9700} §2.1 (exact string matching) and §4.1 (insufficient redirect URI validation)",
        f"{RFC_9700} §4.11.2: the authorization server as an open redirector",
        f"{CORE} §3.1.2.1: redirect_uri MUST exactly match a pre-registered one (RFC 3986 §6.2.1 comparison)",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def redirect_uri_exact(ctx: CheckContext) -> None:
    """Six URIs near the registered one: another origin, the path extended, a query added, the host as the prefix
    of another name, the host as the user part of another, the other scheme. Each is sent first without a login:
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
        if answer.is_redirect and location.startswith(variant):
            wrong.append(f"{variant}: redirected there at once ({answer.status_code})")
            continue
        if 400 <= answer.status_code < 500:
            continue  # refused at the SSO before any login, as it should
        landed = land(ctx, query)
        if landed is not None:
            what = "a code" if "code" in landed else f"the error {landed.get('error')!r}"
            wrong.append(f"{variant}: the logged-in person was redirected there with {what}")
    ctx.expect(not wrong, "redirected to an unregistered URI: " + "; ".join(wrong))
