"""``signing.platform``: the platform's rules over the personal certificate, after the registration.

The certificate is the person's, but the platform decides when it may be used: once the terms are accepted for a
firm (step 6 opens the service), and, for a collaborator, only while holding that firm's ``sign`` delegation. A
delegation withdrawn stops the use at once, a SAD obtained before included; granted again, the use resumes. The
certificate itself is never revoked for it: the credential is suspended (``credentials/info`` shows its key
``disabled``) and its calls refused with 403.

The checks share one person, the ``collaborator_delegated``, registered through the platform for them (steps 1 to
5; the terms accepted by the first check that needs them), so that nothing here touches the plan's holder; the
plan's accountant opens their firm first.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from conformance.context import CheckContext
from conformance.oidc import Tokens
from conformance.plans import holders
from conformance.plans.registration import fixtures
from conformance.plans.signing.common import verifies
from conformance.registry import check, fixture
from conformance.results import Severity

GUIDE_TERMS = (
    "Guide, étape 6 « validation des CGU et RGPD » : l'acceptation ouvre le service au cabinet et à ses "
    "collaborateurs titulaires d'une délégation"
)
GUIDE_SIGN = "Guide : délégations (signer, cacheter, préparer) accordées par l'expert-comptable à ses collaborateurs"
RULE_WITHDRAWAL = "DESIGN.md §3: a withdrawn delegation stops the use at once"
SUSPENDED = 403


def _holder(ctx: CheckContext, role: str, tokens: Tokens) -> holders.Holder:
    personal = [c for c in holders.credentials(ctx, tokens) if c.scal == "2"]
    if not personal:
        ctx.fail(f"the {role}, whose certificate is issued, is offered no personal (SCAL2) credential")
    account = ctx.target.account(role)
    return holders.Holder(role, tokens, account.mobile, account.firms, personal[0], (), personal[0].id)


def _signs(ctx: CheckContext, holder: holders.Holder, what: str) -> None:
    """One hash signed with the personal credential (code, authorize, signHash), verifying with its certificate."""
    wanted = holders.new_hashes(1)
    sad = str(ctx.expect_accepted(holders.authorize(ctx, holder, wanted), rule=f"{what}: authorize").get("SAD"))
    answer = ctx.expect_accepted(holders.sign_hash(ctx, holder, sad, wanted), rule=f"{what}: signHash")
    signature = base64.b64decode(str((answer.get("signatures") or [""])[0]))
    ctx.expect(
        verifies(holder.personal, signature, base64.b64decode(wanted[0])),
        f"{what}: the signature does not verify with the personal certificate",
    )


def _suspended(ctx: CheckContext, holder: holders.Holder, code: str, what: str) -> None:
    """The personal credential shown disabled, and neither a code sent nor an authorization given."""
    info = ctx.expect_status(
        holders.csc(ctx, holder.tokens, "/credentials/info", {"credentialID": holder.personal.id}), 200
    )
    key = str((info.get("key") or {}).get("status"))
    ctx.expect(key == "disabled", f"{what}: credentials/info shows the key {key!r}, not 'disabled'")
    cert = str((info.get("cert") or {}).get("status"))
    ctx.expect(cert == "valid", f"{what}: the certificate reads {cert!r}: a suspension must not revoke it")
    send = {"credentialID": holder.personal.id}
    ctx.expect_refusal(holders.csc(ctx, holder.tokens, "/credentials/sendOTP", send), SUSPENDED, code, what)
    body: dict[str, Any] = {
        "credentialID": holder.personal.id,
        "numSignatures": 1,
        "hashes": holders.new_hashes(1),
        "hashAlgorithmOID": holders.SHA256,
        "OTP": "000000",
    }
    ctx.expect_refusal(holders.csc(ctx, holder.tokens, "/credentials/authorize", body), SUSPENDED, code, what)


@dataclass(frozen=True)
class Delegate:
    """The ``collaborator_delegated`` with its certificate, and the firm whose ``sign`` delegation it holds."""

    holder: holders.Holder
    firm: str


@fixture
def delegate(ctx: CheckContext) -> Delegate:
    """The ``collaborator_delegated`` through steps 1 to 5 at the platform (the terms not accepted), its firm opened
    by the plan's accountant."""
    ctx.use(holders.accountant)
    tokens, _ = fixtures.registered(ctx, "collaborator_delegated", accept_terms=False)
    account = ctx.target.account("collaborator_delegated")
    return Delegate(_holder(ctx, "collaborator_delegated", tokens), account.firms[0] if account.firms else "")


def _accept_terms(ctx: CheckContext, found: Delegate) -> None:
    """Step 6 for the delegate's firm (accepting again, where done already, changes nothing)."""
    body = fixtures.terms_body(ctx, found.holder.tokens, [found.firm])
    answer = ctx.http.post("platform", "/registration/terms", json=body, headers=found.holder.auth)
    ctx.expect_status(answer, 200, what="accepting the terms for the firm (step 6)")


@check(
    "signing.platform.terms_required",
    title="The personal certificate signs nothing before the terms are accepted (step 6), and signs once they are",
    cites=(GUIDE_TERMS, "DESIGN.md §2, step 6: accepting the terms opens the service to the firm"),
    severity=Severity.CRITICAL,
    needs=("login", "otp", "review"),
)
def terms_required(ctx: CheckContext) -> None:
    """The ``collaborator_delegated`` (holding ``sign``, its firm opened by the accountant) has its certificate, the
    terms not yet accepted. Its personal credential is listed but suspended (key ``disabled``, certificate
    ``valid``); ``sendOTP`` and ``authorize`` are refused, 403 ``service_not_open``. Once it accepts the terms for
    its firm, it signs a hash that verifies with its certificate."""
    found = ctx.use(delegate)
    _suspended(ctx, found.holder, "service_not_open", "before the terms are accepted")
    _accept_terms(ctx, found)
    _signs(ctx, found.holder, "once the terms are accepted")


def _sign_delegation_id(ctx: CheckContext, accountant: holders.Holder, firm: str, user_id: str) -> str:
    listed = ctx.expect_status(ctx.http.get("platform", f"/firms/{firm}/delegations", headers=accountant.auth), 200)
    rows = listed.get("data", listed) if isinstance(listed, dict) else listed
    for row in rows:
        if row.get("user_id") == user_id and row.get("kind") == "sign":
            return str(row["id"])
    ctx.fail(f"the firm {firm} lists no sign delegation for {user_id}")


def _withdraw(ctx: CheckContext, accountant: holders.Holder, firm: str, user_id: str) -> None:
    delegation = _sign_delegation_id(ctx, accountant, firm, user_id)
    answer = ctx.http.delete("platform", f"/firms/{firm}/delegations/{delegation}", headers=accountant.auth)
    ctx.expect_status(answer, 200, 204, what="withdrawing the sign delegation")


def _grant(ctx: CheckContext, accountant: holders.Holder, firm: str, user_id: str) -> None:
    body = {"user_id": user_id, "kind": "sign"}
    answer = ctx.http.post("platform", f"/firms/{firm}/delegations", json=body, headers=accountant.auth)
    ctx.expect_status(answer, 200, 201, what="granting the sign delegation again")


@check(
    "signing.platform.sign_delegation",
    title="A collaborator signs only while holding the sign delegation: withdrawn, the credential is suspended; "
    "granted again, it signs",
    cites=(GUIDE_SIGN, RULE_WITHDRAWAL),
    severity=Severity.CRITICAL,
    needs=("login", "otp", "review"),
)
def sign_delegation(ctx: CheckContext) -> None:
    """The ``collaborator_delegated``, registered and active, signs a hash. The accountant withdraws its ``sign``
    delegation: the credential is suspended (key ``disabled``, certificate ``valid``), ``sendOTP`` and
    ``authorize`` refused, 403 ``sign_delegation_required``. Granted again, it signs."""
    accountant = ctx.use(holders.accountant)
    found = ctx.use(delegate)
    _accept_terms(ctx, found)
    user_id = ctx.target.account("collaborator_delegated").user_id
    _signs(ctx, found.holder, "the collaborator holding the sign delegation")
    _withdraw(ctx, accountant, found.firm, user_id)
    try:
        _suspended(ctx, found.holder, "sign_delegation_required", "once the sign delegation is withdrawn")
    finally:
        _grant(ctx, accountant, found.firm, user_id)
    _signs(ctx, found.holder, "once the sign delegation is granted again")


@check(
    "signing.platform.withdrawal_stops_signing",
    title="A SAD obtained before the sign delegation is withdrawn signs nothing after it",
    cites=(GUIDE_SIGN, RULE_WITHDRAWAL, "CSC API v2, signatures/signHash"),
    severity=Severity.CRITICAL,
    needs=("login", "otp", "review"),
)
def withdrawal_stops_signing(ctx: CheckContext) -> None:
    """The ``collaborator_delegated`` authorizes two hashes (SMS code) and signs the first; the accountant withdraws
    its ``sign`` delegation; the second hash, with that SAD, is refused (403). The delegation is granted again."""
    accountant = ctx.use(holders.accountant)
    found = ctx.use(delegate)
    _accept_terms(ctx, found)
    user_id = ctx.target.account("collaborator_delegated").user_id
    wanted = holders.new_hashes(2)
    authorized = holders.authorize(ctx, found.holder, wanted)
    sad = str(ctx.expect_accepted(authorized, rule="authorizing two signatures").get("SAD"))
    ctx.expect_accepted(holders.sign_hash(ctx, found.holder, sad, wanted[:1]), rule="the first signature")
    _withdraw(ctx, accountant, found.firm, user_id)
    try:
        answer = holders.sign_hash(ctx, found.holder, sad, wanted[1:])
        ctx.expect_refusal(answer, SUSPENDED, "sign_delegation_required", "the SAD's second signature, withdrawn")
    finally:
        _grant(ctx, accountant, found.firm, user_id)
