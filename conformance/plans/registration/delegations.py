"""Delegations (sign, seal, prepare): granted per firm by its chartered accountant to its collaborators; step 6
opens the service to the collaborators holding one."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.plans.registration.fixtures import accountant_active, platform
from conformance.registry import check
from conformance.results import Severity

GUIDE_DELEGATIONS = (
    "Guide, Définitions : « Espace Privé … sert à … délivrer les délégations » ; étape 6 : le service s'ouvre "
    "« à votre cabinet/vos cabinets et vos collaborateurs ayant délégation »"
)
RULE_DELEGATIONS = "DESIGN.md §2: delegations (sign, seal, prepare) granted per firm by the accountant"


def _firm_of(ctx: CheckContext, role: str) -> str:
    firms = ctx.target.account(role).firms
    if not firms:
        ctx.skip(f"the target does not say which firms the {role} account belongs to")
    return firms[0]


@check(
    "registration.delegations.members_only",
    title="A delegation cannot be granted to someone outside the firm",
    cites=(GUIDE_DELEGATIONS, RULE_DELEGATIONS),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def members_only(ctx: CheckContext) -> None:
    tokens = ctx.login("accountant")
    outsider = ctx.target.account("outsider")
    foreign = [f for f in ctx.target.account("accountant").firms if f not in outsider.firms]
    if not foreign or not outsider.user_id:
        ctx.skip("the target names no firm of the accountant that the outsider is not a member of")
    answer = ctx.http.post(
        "platform",
        f"/firms/{foreign[0]}/delegations",
        json={"user_id": outsider.user_id, "kind": "sign"},
        headers=tokens.bearer,
    )
    ctx.expect_refusal(answer, 404, "collaborator_not_found", "a delegation to someone outside the firm")


@check(
    "registration.delegations.accountant_only",
    title="A collaborator cannot grant delegations",
    cites=(GUIDE_DELEGATIONS, RULE_DELEGATIONS),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def accountant_only(ctx: CheckContext) -> None:
    tokens = ctx.login("collaborator_delegated")
    firm = _firm_of(ctx, "collaborator_delegated")
    colleague = ctx.target.account("collaborator")
    answer = ctx.http.post(
        "platform",
        f"/firms/{firm}/delegations",
        json={"user_id": colleague.user_id, "kind": "seal"},
        headers=tokens.bearer,
    )
    ctx.expect_refusal(answer, 403, "not_firm_accountant", "a collaborator granting a delegation")


@check(
    "registration.delegations.grant_and_revoke",
    title="The accountant grants a delegation to a collaborator, and revokes it",
    cites=(GUIDE_DELEGATIONS, RULE_DELEGATIONS),
    severity=Severity.MAJOR,
    needs=("login",),
)
def grant_and_revoke(ctx: CheckContext) -> None:
    tokens = ctx.login("accountant")
    firm = _firm_of(ctx, "collaborator")
    colleague = ctx.target.account("collaborator")
    answer = ctx.http.post(
        "platform",
        f"/firms/{firm}/delegations",
        json={"user_id": colleague.user_id, "kind": "prepare"},
        headers=tokens.bearer,
    )
    granted = ctx.expect_accepted(answer, 201, rule="granting the prepare delegation")
    listed = ctx.expect_status(ctx.http.get("platform", f"/firms/{firm}/delegations", headers=tokens.bearer), 200)
    ctx.expect(any(d["id"] == granted["id"] for d in listed["data"]), "the granted delegation is not listed")
    revoked = ctx.http.delete("platform", f"/firms/{firm}/delegations/{granted['id']}", headers=tokens.bearer)
    ctx.expect(revoked.status_code == 204, f"revoking answered {revoked.status_code}")
    listed = ctx.expect_status(ctx.http.get("platform", f"/firms/{firm}/delegations", headers=tokens.bearer), 200)
    ctx.expect(all(d["id"] != granted["id"] for d in listed["data"]), "the revoked delegation is still listed")


@check(
    "registration.delegations.service_follows_delegation",
    title="Once the firm is registered, its collaborators holding a delegation have the service, the others not",
    cites=(GUIDE_DELEGATIONS, RULE_DELEGATIONS),
    severity=Severity.CRITICAL,
    needs=("login", "otp", "review"),
)
def service_follows_delegation(ctx: CheckContext) -> None:
    ctx.use(accountant_active)
    firm = _firm_of(ctx, "collaborator_delegated")
    for role, expected in (("collaborator_delegated", True), ("collaborator", False)):
        firms = {f["id"]: f for f in platform(ctx, ctx.login(role), "/me")["firms"]}
        ctx.expect(firm in firms, f"the {role} account is not a member of {firm}")
        ctx.expect(
            firms[firm]["service_open"] is expected,
            f"the service is {'closed' if expected else 'open'} to the {role} account in {firm}",
        )
