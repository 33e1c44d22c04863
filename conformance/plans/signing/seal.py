"""``signing.seal``: the firm's seal is for its accountants and the holders of its seal delegation."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.plans import holders
from conformance.registry import check
from conformance.results import Severity


@check(
    "signing.seal.delegation_required",
    title="A collaborator without the seal delegation can neither see nor use the firm's seal",
    cites=(
        "Guide : délégations (signer, cacheter, préparer) accordées par l'expert-comptable",
        "jesign docs, Remote signing: a firm's seal for its accountants and its seal-delegation holders",
    ),
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
    ctx.expect_refusal(
        answer, (403, 404), ("seal_delegation_required", "credential_not_found"), "sealing without the delegation"
    )
