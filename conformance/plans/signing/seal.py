"""``signing.seal``: a firm's seal is for its accountants and the holders of its seal delegation: each firm's own
seal for each of its accountants, for a delegate until the delegation is withdrawn, for no member of another firm."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.x509.oid import NameOID

from conformance.context import CheckContext
from conformance.oidc import Tokens
from conformance.plans import holders
from conformance.plans.signing.common import CSC_V2, SAD_REFUSALS, verifies
from conformance.registry import check
from conformance.results import Severity

GUIDE_DELEGATIONS = "Guide : délégations (signer, cacheter, préparer) accordées par l'expert-comptable"
RULE_SEAL = "jesign docs, Remote signing: a firm's seal for its accountants and its seal-delegation holders"
#: How a seal may be refused to someone it is not for: not found, or forbidden.
NOT_YOURS = (403, 404)
NOT_YOURS_CODES = ("seal_delegation_required", "credential_not_found")


@check(
    "signing.seal.delegation_required",
    title="A collaborator without the seal delegation can neither see nor use the firm's seal",
    cites=(GUIDE_DELEGATIONS, RULE_SEAL),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def seal_delegation_required(ctx: CheckContext) -> None:
    holder = ctx.use(holders.accountant)
    collaborator = ctx.target.account("collaborator")
    firm = collaborator.firms[0] if collaborator.firms else (holder.firms[0] if holder.firms else "")
    seal = holders.seal_of(holder, firm)
    tokens = ctx.login("collaborator")
    listed = ctx.expect_status(holders.csc(ctx, tokens, "/credentials/list", {}), 200, what="credentials/list")
    ctx.expect(seal.id not in listed.get("credentialIDs", []), f"the collaborator is offered {seal.id}")
    answer = holders.csc(ctx, tokens, "/credentials/authorize", {"credentialID": seal.id, "numSignatures": 1})
    ctx.expect_refusal(answer, NOT_YOURS, NOT_YOURS_CODES, "sealing without the delegation")


def _organization_identifier(credential: holders.CscCredential) -> str:
    values = credential.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    return str(values[0].value) if values else ""


def _seals_of(credentials: Sequence[holders.CscCredential], siren: str) -> list[holders.CscCredential]:
    """The seal credentials whose certificate names the firm of that SIREN (EN 319 412-1 §5.1.4: NTRFR-<SIREN>)."""
    return [c for c in credentials if c.scal != "2" and _organization_identifier(c) == f"NTRFR-{siren}"]


def _seal_once(
    ctx: CheckContext, holder: holders.Holder, seal: holders.CscCredential, tokens: Tokens | None = None
) -> str:
    """Authorize one signature with ``seal`` and seal a hash: what went wrong, or "" when the signature verifies."""
    tokens = tokens or holder.tokens
    body = {"credentialID": seal.id, "numSignatures": 1}
    authorized = holders.csc(ctx, tokens, "/credentials/authorize", body)
    if authorized.status_code != 200:
        return f"credentials/authorize answered {authorized.status_code}"
    sad = str(authorized.json().get("SAD"))
    ctx.http.add_secret(sad)
    wanted = holders.new_hashes(1)
    signed = holders.sign_hash(ctx, holder, sad, wanted, credential=seal, tokens=tokens)
    if signed.status_code != 200:
        return f"signatures/signHash answered {signed.status_code}"
    signatures = signed.json().get("signatures") or []
    if len(signatures) != 1 or not verifies(seal, base64.b64decode(signatures[0]), base64.b64decode(wanted[0])):
        return "the signature does not verify with the seal's certificate"
    return ""


@check(
    "signing.seal.every_firm",
    title="An accountant of several firms has each open firm's own seal, naming that firm, and seals with each",
    cites=(
        "Guide, étape 6 : CGU et RGPD acceptées cabinet par cabinet (the service opens per firm)",
        "ETSI EN 319 412-3 §4.2.1 and EN 319 412-1 §5.1.4 (the seal names its firm: NTRFR-<SIREN>)",
        CSC_V2 + ", credentials/info, credentials/authorize, signatures/signHash",
        RULE_SEAL,
    ),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def every_firm(ctx: CheckContext) -> None:
    """For each firm ``GET /me`` shows open to the accountant, among the credentials ``credentials/list`` offers:
    exactly one seal whose certificate's organizationIdentifier is NTRFR-<that firm's SIREN>; ``credentials/info``
    describes it with that certificate; one signature is authorized and a hash sealed, the signature verifying with
    that seal's certificate. Every firm is tried, not only the first: a provider that finds a seal through the
    person's first firm, or through another member of the firm, seals for one firm only."""
    holder = ctx.use(holders.accountant)
    me = ctx.expect_status(ctx.http.get("platform", "/me", headers=holder.auth), 200, what="the accountant's /me")
    opened = [f for f in me.get("firms") or [] if f.get("service_open")]
    if not opened:
        ctx.skip("GET /me shows no firm open to the accountant")
    if len(opened) < 2:
        ctx.note(f"only {len(opened)} firm open to the accountant: a second firm's seal is not tried")
    found = []
    for firm in opened:
        label, siren = str(firm.get("id")), str(firm.get("siren") or "")
        seals = _seals_of(holder.seals, siren)
        if len(seals) != 1:
            found.append(f"{label}: {len(seals)} seal credentials name NTRFR-{siren}, not one")
            continue
        seal = seals[0]
        info = holders.csc(ctx, holder.tokens, "/credentials/info", {"credentialID": seal.id, "certificates": "chain"})
        if info.status_code != 200:
            found.append(f"{label}: credentials/info of {seal.id} answered {info.status_code}")
            continue
        described = holders.CscCredential.from_info(seal.id, info.json())
        if described.chain[:1] != seal.chain[:1]:
            found.append(f"{label}: credentials/info of {seal.id} gives another certificate than credentials/list")
        if why := _seal_once(ctx, holder, seal):
            found.append(f"{label}: sealing with {seal.id}: {why}")
    ctx.expect(not found, "; ".join(found))


@check(
    "signing.seal.delegation_follows",
    title="A collaborator given the seal delegation seals with the firm's seal; once it is withdrawn, not even with "
    "a SAD given before",
    cites=(GUIDE_DELEGATIONS, RULE_SEAL, "DESIGN.md §3: a withdrawn delegation stops the use at once"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def delegation_follows(ctx: CheckContext) -> None:
    """The accountant grants the ``collaborator`` the seal delegation of its firm: the collaborator's
    ``credentials/list`` offers the firm's seal (the same certificate as the accountant's), a SAD for two signatures
    is authorized and one hash sealed, verifying with that certificate. The accountant then withdraws the
    delegation: the second signature of that SAD is refused, so is a new authorization, and the seal is no longer
    offered."""
    holder = ctx.use(holders.accountant)
    collaborator = ctx.target.account("collaborator")
    firm = collaborator.firms[0] if collaborator.firms else (holder.firms[0] if holder.firms else "")
    seal = holders.seal_of(holder, firm)
    path = f"/firms/{firm}/delegations"
    granted = ctx.expect_status(
        ctx.http.post(
            "platform",
            path,
            json={"user_id": collaborator.user_id or collaborator.login, "kind": "seal"},
            headers=holder.auth,
        ),
        200,
        201,
        what="granting the collaborator the seal delegation",
    )
    withdrawn = False
    try:
        tokens = ctx.login("collaborator")
        offered = [c for c in holders.credentials(ctx, tokens) if c.chain[:1] == seal.chain[:1]]
        ctx.expect(offered, f"the collaborator holding the seal delegation of {firm} is not offered its seal")
        mine = offered[0]
        body = {"credentialID": mine.id, "numSignatures": 2}
        sad = str(
            ctx.expect_accepted(
                holders.csc(ctx, tokens, "/credentials/authorize", body), rule="the delegate authorizing the seal"
            ).get("SAD")
        )
        ctx.http.add_secret(sad)
        wanted = holders.new_hashes(1)
        signed = ctx.expect_accepted(
            holders.sign_hash(ctx, holder, sad, wanted, credential=mine, tokens=tokens), rule="the delegate sealing"
        )
        signatures = signed.get("signatures") or []
        ctx.expect(
            len(signatures) == 1 and verifies(seal, base64.b64decode(signatures[0]), base64.b64decode(wanted[0])),
            "the delegate's seal does not verify with the firm's seal certificate",
        )
        revoked = ctx.http.delete("platform", f"{path}/{granted['id']}", headers=holder.auth)
        ctx.expect_status(revoked, 204, what="withdrawing the seal delegation")
        withdrawn = True
        late = holders.sign_hash(ctx, holder, sad, holders.new_hashes(1), credential=mine, tokens=tokens)
        ctx.expect_refusal(
            late,
            (*NOT_YOURS, 400),
            (*NOT_YOURS_CODES, *SAD_REFUSALS),
            "sealing after the withdrawal, with a SAD given before",
        )
        again = holders.csc(ctx, tokens, "/credentials/authorize", {"credentialID": mine.id, "numSignatures": 1})
        ctx.expect_refusal(again, NOT_YOURS, NOT_YOURS_CODES, "authorizing the seal after the withdrawal")
        listed = ctx.expect_status(holders.csc(ctx, tokens, "/credentials/list", {}), 200, what="credentials/list")
        ctx.expect(mine.id not in listed.get("credentialIDs", []), f"{mine.id} is still offered after the withdrawal")
    finally:
        if not withdrawn:
            ctx.http.delete("platform", f"{path}/{granted['id']}", headers=holder.auth)


@check(
    "signing.seal.other_firm",
    title="A firm's seal is neither offered to nor read nor used by a member of another firm",
    cites=(GUIDE_DELEGATIONS, RULE_SEAL, "OWASP ASVS 4.0.3 V4.2.1 (IDOR)"),
    severity=Severity.CRITICAL,
    needs=("otp", "review"),
)
def other_firm(ctx: CheckContext) -> None:
    """The accountant's first firm's seal is tried by the ``second_accountant`` (a chartered accountant, of another
    firm), the second firm's seal by the ``outsider`` (a collaborator of the first firm only): neither is offered
    it by ``credentials/list``, and its ``credentials/info`` and ``credentials/authorize`` are refused (403 or
    404). A provider that checks a role but not the firm it is held in lets the first through."""
    holder = ctx.use(holders.accountant)
    tried: list[tuple[str, holders.CscCredential]] = []
    if holder.firms and holder.firms[0] not in ctx.target.account("second_accountant").firms:
        tried.append(("second_accountant", holders.seal_of(holder, holder.firms[0])))
    if len(holder.firms) > 1 and holder.firms[1] not in ctx.target.account("outsider").firms:
        tried.append(("outsider", holders.seal_of(holder, holder.firms[1])))
    if not tried:
        ctx.skip("the target names no account outside one of the accountant's firms")
    wrong = []
    for role, seal in tried:
        tokens = ctx.login(role)
        offered = [c for c in holders.credentials(ctx, tokens) if c.chain[:1] == seal.chain[:1]]
        if offered:
            wrong.append(f"the {role} is offered {seal.id}")
        for path, body in (
            ("/credentials/info", {"credentialID": seal.id}),
            ("/credentials/authorize", {"credentialID": seal.id, "numSignatures": 1}),
        ):
            answer = holders.csc(ctx, tokens, path, body)
            if answer.status_code not in NOT_YOURS:
                wrong.append(f"{path} of {seal.id} by the {role} answered {answer.status_code}")
    ctx.expect(not wrong, "a seal for another firm's member: " + "; ".join(wrong) + " (expected 403 or 404)")


UNIVERSIGN_SEALS = (
    "Universign, standalone seal service: POST /v1/seals with the document in file and the seal id; answers a PAdES "
    "document seal"
)


@check(
    "signing.seal.seal_api",
    title="The seal API seals a PDF with the seal its seal_id names, in a PAdES signature that validates",
    cites=(UNIVERSIGN_SEALS, "ETSI EN 319 142-1, PAdES baseline B-B", RULE_SEAL),
    severity=Severity.MAJOR,
    needs=("otp", "review"),
)
def seal_api(ctx: CheckContext) -> None:
    """With the operator's credentials, each seal credential of the plan's accountant sent as ``seal_id`` with a
    one-page PDF: the answer is a PDF whose only signature is intact, valid and trusted (pyHanko, through the SDK),
    PAdES, and made with the certificate that ``credentials/info`` gives for that seal, not another."""
    from conformance.plans.registration import steps
    from conformance.plans.signing.pades import _sdk_client

    holder = ctx.use(holders.accountant)
    client = _sdk_client(ctx, holder)
    for seal in holder.seals:
        answer = ctx.http.post(
            "trust",
            "/seals",
            data={"seal_id": seal.id},
            files={"file": ("lettre.pdf", steps.minimal_pdf(), "application/pdf")},
            auth=steps.operator_auth(ctx),
        )
        ctx.expect_accepted(answer, rule=f"sealing a PDF with {seal.id} through the seal API")
        reports = client.signing.validate_pdf(answer.content)
        ctx.expect(len(reports) == 1, f"{len(reports)} signatures in the PDF sealed with {seal.id}")
        report = reports[0]
        ctx.expect(report.intact and report.valid and report.trusted, f"{seal.id}: {report.summary}")
        ctx.expect(report.pades_level is not None, f"{seal.id}: the seal is not PAdES ({report.summary})")
        expected = f"{seal.certificate.serial_number:x}"
        ctx.expect(
            (report.certificate_serial or "").lower().lstrip("0") == expected.lstrip("0"),
            f"{seal.id}: sealed with the certificate of serial {report.certificate_serial}, not its own ({expected})",
        )
