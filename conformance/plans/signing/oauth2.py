"""``signing.oauth2``: the trust provider's own OAuth2 for the CSC API (``authType`` ``oauth2code``), where ``info``
offers it: PKCE S256 required, codes once (also in parallel) and bound to their redirect_uri, a credential
authorized only by its owner and, SCAL2, with the SMS code; a credential-scope token signs its hashes, with its
credential, up to its count, once, and serves nothing else.

The authorization pages are gone through by the harness (``authorize`` for a code at once, ``authorize_signature``
where the SMS code is entered); the target's OIDC client (``[oidc]``) is the client, its ``redirect_uri`` the
redirect URI (CSC leaves client registration to the provider: the mock trusts the SSO's clients).
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from conformance.context import CheckContext, UnexpectedAnswer
from conformance.harness import HarnessError
from conformance.oidc import pkce_pair, redeem
from conformance.plans import holders
from conformance.plans.signing.common import CSC_V2, SAD_REFUSALS
from conformance.plans.sso.common import RFC_6749, RFC_7636, RFC_9700, other_redirect_uri, refusal
from conformance.registry import check
from conformance.results import Severity

CSC_V1 = "Cloud Signature Consortium API v1.0.4.0"
AUTHORIZE = (CSC_V1 + " §8.3.2 oauth2/authorize", CSC_V2 + " §8.3.2 oauth2/authorize")
TOKEN = (CSC_V1 + " §8.3.3 oauth2/token", CSC_V2 + " §8.3.3 oauth2/token")
CREDENTIAL_TOKEN = (
    CSC_V1 + " §11.9 signatures/signHash: no SAD with an access token of scope credential for that credential",
    CSC_V2 + " §8.3.2: scope credential authorizes the credential for the hashes given",
)
STATE = "conformance-oauth2"


def _base(ctx: CheckContext) -> str:
    """The ``oauth2`` base URI that ``info`` gives (SKIPPED when the provider does not offer ``oauth2code``)."""
    found = ctx.plan_state.get("signing:oauth2")
    if found is None:
        info = ctx.expect_status(ctx.http.post("csc", "/info", json={}), 200, what="the CSC info")
        if "oauth2code" not in (info.get("authType") or []) or not isinstance(info.get("oauth2"), str):
            ctx.skip("the provider's info does not offer authType oauth2code with an oauth2 base URI")
        found = ctx.plan_state["signing:oauth2"] = str(info["oauth2"]).rstrip("/")
    return str(found)


def _query(ctx: CheckContext, scope: str, challenge: str | None, **extra: Any) -> dict[str, Any]:
    query: dict[str, Any] = {
        "response_type": "code",
        "client_id": ctx.target.oidc.client_id,
        "redirect_uri": ctx.target.redirect_uri,
        "scope": scope,
        "state": STATE,
    }
    if challenge is not None:
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return query | extra


def _land(
    ctx: CheckContext, query: dict[str, Any], *, role: str = "accountant", phone: str | None = None
) -> dict[str, str] | None:
    """Go through ``oauth2/authorize`` as ``role``; the parameters it redirected back with, or None (noted) when it
    did not redirect to the redirect URI."""
    url = f"{_base(ctx)}/oauth2/authorize?{urlencode(query)}"
    redirect_uri = str(query["redirect_uri"])
    login = ctx.target.account(role).login
    try:
        if phone is None:
            landed = ctx.harness.authorize(url, redirect_uri, login)
        else:
            landed = ctx.harness.authorize_signature(url, redirect_uri, login, phone)
    except HarnessError as exc:
        ctx.note(f"no redirect to {redirect_uri}: {exc}")
        return None
    answer = {k: v[0] for k, v in parse_qs(urlsplit(landed).query, keep_blank_values=True).items()}
    ctx.http.add_secret(answer.get("code"))
    return answer


def _code(ctx: CheckContext, query: dict[str, Any], **kwargs: Any) -> str:
    landed = _land(ctx, query, **kwargs)
    if landed is None or "code" not in landed:
        raise UnexpectedAnswer(f"oauth2/authorize gave no code to a proper request: {landed}")
    return landed["code"]


def _redeem(ctx: CheckContext, code: str, verifier: str | None, **kwargs: Any) -> requests.Response:
    return redeem(ctx.http, ctx.target, f"{_base(ctx)}/oauth2/token", code, verifier, **kwargs)


def _granted(ctx: CheckContext, response: requests.Response, what: str) -> str:
    payload = ctx.expect_status(response, 200, what=what)
    if not isinstance(payload, dict) or not isinstance(payload.get("access_token"), str):
        raise UnexpectedAnswer(f"{what} answered 200 without an access_token")
    for name in ("access_token", "refresh_token"):
        ctx.http.add_secret(payload.get(name) if isinstance(payload.get(name), str) else None)
    return str(payload["access_token"])


def _service_code(ctx: CheckContext) -> tuple[str, str]:
    verifier, challenge = pkce_pair()
    return verifier, _code(ctx, _query(ctx, "service", challenge))


def _credential_query(credential: holders.CscCredential, hashes_b64: list[str], challenge: str) -> dict[str, Any]:
    return {
        "credentialID": credential.id,
        "numSignatures": len(hashes_b64),
        "hashes": ",".join(base64.urlsafe_b64encode(base64.b64decode(h)).rstrip(b"=").decode() for h in hashes_b64),
        "hashAlgorithmOID": holders.SHA256,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def _credential_token(
    ctx: CheckContext, holder: holders.Holder, hashes_b64: list[str], credential: holders.CscCredential | None = None
) -> str:
    """A credential-scope access token for those hashes (the SMS code entered where the page asks for it)."""
    credential = credential or holder.personal
    verifier, challenge = pkce_pair()
    query = _query(ctx, "credential", None) | _credential_query(credential, hashes_b64, challenge)
    code = _code(ctx, query, phone=holder.phone_number if credential.scal == "2" else None)
    return _granted(ctx, _redeem(ctx, code, verifier), "redeeming a credential code")


def _sign(
    ctx: CheckContext,
    holder: holders.Holder,
    token: str,
    hashes_b64: list[str],
    credential: holders.CscCredential | None = None,
) -> requests.Response:
    """``signatures/signHash`` with the credential-scope token as Bearer and no SAD."""
    credential = credential or holder.personal
    body = {
        "credentialID": credential.id,
        "hashes": hashes_b64,
        "hashAlgorithmOID": holders.SHA256,
        "signAlgo": credential.sign_algorithm,
    }
    return ctx.http.post("csc", "/signatures/signHash", json=body, headers={"Authorization": f"Bearer {token}"})


# -- the authorization server ------------------------------------------------------------------------------------


@check(
    "signing.oauth2.pkce_s256_required",
    title="oauth2/authorize refuses a request without a PKCE code_challenge, or with code_challenge_method=plain",
    cites=(*AUTHORIZE, f"{RFC_7636} §4.3, §7.2", f"{RFC_9700} §2.1.1"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def pkce_s256_required(ctx: CheckContext) -> None:
    """Three requests of scope service: with an S256 challenge (a code: the control), without a challenge, and with
    ``plain``; the last two must come back with an error and no code."""
    verifier, challenge = pkce_pair()
    _code(ctx, _query(ctx, "service", challenge))
    for what, query in (
        ("without code_challenge", _query(ctx, "service", None)),
        ("with code_challenge_method=plain", _query(ctx, "service", None) | _plain(verifier)),
    ):
        landed = _land(ctx, query)
        if landed is not None and "code" in landed:
            ctx.fail(f"oauth2/authorize gave a code to a request {what}")


def _plain(verifier: str) -> dict[str, str]:
    return {"code_challenge": verifier, "code_challenge_method": "plain"}


@check(
    "signing.oauth2.code_verifier_checked",
    title="oauth2/token redeems a code with its PKCE verifier only: a wrong or missing verifier is refused",
    cites=(*TOKEN, f"{RFC_7636} §4.6"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def code_verifier_checked(ctx: CheckContext) -> None:
    _, code = _service_code(ctx)
    wrong, _ = pkce_pair()
    refusal(ctx, _redeem(ctx, code, wrong), errors="invalid_grant", rule="a code redeemed with another verifier")
    _, code = _service_code(ctx)
    refusal(
        ctx,
        _redeem(ctx, code, None),
        errors=("invalid_request", "invalid_grant"),
        rule="a code redeemed without code_verifier",
    )
    verifier, code = _service_code(ctx)
    _granted(ctx, _redeem(ctx, code, verifier), "redeeming a code with its verifier")


@check(
    "signing.oauth2.redirect_uri_exact",
    title="oauth2/authorize never redirects to a redirect_uri that is not registered exactly (a longer path)",
    cites=(*AUTHORIZE, f"{RFC_6749} §3.1.2.3, §4.1.2.1", f"{RFC_9700} §4.1.3"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def redirect_uri_exact(ctx: CheckContext) -> None:
    _, challenge = pkce_pair()
    longer = ctx.target.redirect_uri.rstrip("/") + "/conformance"
    landed = _land(ctx, _query(ctx, "service", challenge, redirect_uri=longer))
    if landed is not None:
        ctx.fail(f"oauth2/authorize redirected to the unregistered {longer} ({', '.join(sorted(landed))})")


@check(
    "signing.oauth2.code_bound_to_redirect_uri",
    title="oauth2/token refuses a code with another redirect_uri than its authorization request's",
    cites=(*TOKEN, f"{RFC_6749} §4.1.3"),
    severity=Severity.MAJOR,
    needs=("login",),
)
def code_bound_to_redirect_uri(ctx: CheckContext) -> None:
    verifier, code = _service_code(ctx)
    other = other_redirect_uri(ctx.target.redirect_uri)
    answer = _redeem(ctx, code, verifier, redirect_uri=other)
    refusal(ctx, answer, errors="invalid_grant", rule="a code redeemed with another redirect_uri")


@check(
    "signing.oauth2.code_single_use",
    title="A CSC authorization code is redeemed once: the second redemption is refused",
    cites=(*TOKEN, f"{RFC_6749} §4.1.2"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def code_single_use(ctx: CheckContext) -> None:
    verifier, code = _service_code(ctx)
    _granted(ctx, _redeem(ctx, code, verifier), "the first redemption")
    refusal(ctx, _redeem(ctx, code, verifier), errors="invalid_grant", rule="a code redeemed a second time")


@check(
    "signing.oauth2.code_once_in_parallel",
    title="A CSC authorization code redeemed by 5 parallel requests gives one token, not more",
    cites=(*TOKEN, f"{RFC_6749} §4.1.2"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def code_once_in_parallel(ctx: CheckContext) -> None:
    verifier, code = _service_code(ctx)
    answers = ctx.http.concurrently([lambda: _redeem(ctx, code, verifier) for _ in range(5)])
    granted = [a for a in answers if isinstance(a, requests.Response) and a.status_code == 200]
    for answer in granted:
        ctx.http.add_secret(str(answer.json().get("access_token")))
    ctx.expect(len(granted) == 1, f"{len(granted)} of 5 parallel redemptions of one code got tokens, not 1")


# -- the credential scope ----------------------------------------------------------------------------------------


@check(
    "signing.oauth2.own_credential_only",
    title="oauth2/authorize (scope credential) gives no code for another person's credential",
    cites=(*AUTHORIZE, "ETSI TS 119 431-1 SRV_AP (the signer's sole control of the signing key)"),
    severity=Severity.CRITICAL,
    needs=("login", "otp", "review"),
)
def own_credential_only(ctx: CheckContext) -> None:
    """The collaborator, logged in, asks to authorize the accountant's personal credential."""
    holder = ctx.use(holders.accountant)
    _, challenge = pkce_pair()
    query = _query(ctx, "credential", None) | _credential_query(holder.personal, holders.new_hashes(1), challenge)
    landed = _land(ctx, query, role="collaborator", phone=ctx.target.account("collaborator").mobile)
    if landed is not None and "code" in landed:
        ctx.fail("the collaborator got a code for the accountant's personal credential")


@check(
    "signing.oauth2.sms_code_required",
    title="oauth2/authorize (scope credential) gives no code for a SCAL2 credential before its SMS code is entered",
    cites=(*AUTHORIZE, "ETSI TS 119 431-1 SRV_AP (SCAL2: the signer's authentication with two factors)"),
    severity=Severity.CRITICAL,
    needs=("login", "otp", "review"),
)
def sms_code_required(ctx: CheckContext) -> None:
    """The accountant goes through the page for their personal credential without entering any code (the harness's
    plain ``authorize``): there must be no redirect with a code."""
    holder = ctx.use(holders.accountant)
    _, challenge = pkce_pair()
    query = _query(ctx, "credential", None) | _credential_query(holder.personal, holders.new_hashes(1), challenge)
    landed = _land(ctx, query)
    if landed is not None and "code" in landed:
        ctx.fail("a code for the personal (SCAL2) credential came back with no SMS code entered")


@check(
    "signing.oauth2.credential_token_scope",
    title="A credential-scope access token serves signatures/signHash only: credentials/list refuses it",
    cites=(*CREDENTIAL_TOKEN, "RFC 6750 §3.1 (insufficient_scope)"),
    severity=Severity.MAJOR,
    needs=("login", "otp", "review"),
)
def credential_token_scope(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    seal = holders.seal_of(holder, holder.firms[0] if holder.firms else "")
    token = _credential_token(ctx, holder, holders.new_hashes(1), seal)
    answer = ctx.http.post("csc", "/credentials/list", json={}, headers={"Authorization": f"Bearer {token}"})
    ctx.expect_refusal(answer, (401, 403), ("insufficient_scope", "invalid_token"), "credentials/list with it")


@check(
    "signing.oauth2.credential_token_hashes",
    title="A credential-scope token signs the hashes it was authorized for, and no other",
    cites=CREDENTIAL_TOKEN,
    severity=Severity.CRITICAL,
    needs=("login", "otp", "review"),
)
def credential_token_hashes(ctx: CheckContext) -> None:
    """Both sides: another hash is refused, then the authorized one is signed (and verifies)."""
    holder = ctx.use(holders.accountant)
    wanted = holders.new_hashes(1)
    token = _credential_token(ctx, holder, wanted)
    ctx.expect_refusal(_sign(ctx, holder, token, holders.new_hashes(1)), 400, SAD_REFUSALS, "another hash")
    ctx.expect_accepted(_sign(ctx, holder, token, wanted), rule="the authorized hash")


@check(
    "signing.oauth2.credential_token_credential",
    title="A credential-scope token signs with its credential only: the personal token seals nothing",
    cites=CREDENTIAL_TOKEN,
    severity=Severity.CRITICAL,
    needs=("login", "otp", "review"),
)
def credential_token_credential(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    seal = holders.seal_of(holder, holder.firms[0] if holder.firms else "")
    wanted = holders.new_hashes(1)
    token = _credential_token(ctx, holder, wanted)
    answer = _sign(ctx, holder, token, wanted, seal)
    ctx.expect_refusal(answer, (400, 403), SAD_REFUSALS, "sealing with a personal credential token")


@check(
    "signing.oauth2.credential_token_once",
    title="A credential-scope token signs once: used, it is refused",
    cites=CREDENTIAL_TOKEN,
    severity=Severity.CRITICAL,
    needs=("login", "otp", "review"),
)
def credential_token_once(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    wanted = holders.new_hashes(1)
    token = _credential_token(ctx, holder, wanted)
    ctx.expect_accepted(_sign(ctx, holder, token, wanted), rule="the first signHash")
    again = _sign(ctx, holder, token, wanted)
    ctx.expect_refusal(again, (400, 401, 409), (*SAD_REFUSALS, "invalid_token"), "signing again with the token")


@check(
    "signing.oauth2.credential_token_count",
    title="A credential-scope token of the seal signs numSignatures hashes, not one more",
    cites=(*CREDENTIAL_TOKEN, CSC_V2 + " §8.3.2 (numSignatures)"),
    severity=Severity.CRITICAL,
    needs=("login", "otp", "review"),
)
def credential_token_count(ctx: CheckContext) -> None:
    """On the firm's seal (SCAL1: the count, not the hashes, is bound): a token for 1 signature sent 2 hashes."""
    holder = ctx.use(holders.accountant)
    seal = holders.seal_of(holder, holder.firms[0] if holder.firms else "")
    token = _credential_token(ctx, holder, holders.new_hashes(1), seal)
    answer = _sign(ctx, holder, token, holders.new_hashes(2), seal)
    ctx.expect_refusal(answer, (400, 409), SAD_REFUSALS, "2 hashes with a token for 1 signature")
