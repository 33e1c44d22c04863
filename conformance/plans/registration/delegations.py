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
    "registration.delegations.own_firms_only",
    title="An accountant lists and grants delegations in his own firms only, whichever way the firm ids sort",
    cites=(GUIDE_DELEGATIONS, RULE_DELEGATIONS, "docs/registration.md: 404 firm_not_found, a firm not the person's"),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def own_firms_only(ctx: CheckContext) -> None:
    """The accountant lists the delegations of the second accountant's firm and grants one there (to the
    ``no_mobile`` accountant, a member of it); the second accountant does the same in each of the accountant's firms.
    Each is refused (404 ``firm_not_found``). Both directions are tried because a membership looked up by order of
    the firm ids rather than by equality lets one of them through, whichever it is."""
    first, second = ctx.target.account("accountant"), ctx.target.account("second_accountant")
    tries = [(first, f) for f in second.firms if f not in first.firms]
    tries += [(second, f) for f in first.firms if f not in second.firms]
    if not tries:
        ctx.skip("the target names no firm of one accountant that the other is not a member of")
    member = ctx.target.account("no_mobile").user_id or "usr_unknown"
    for who, firm in tries:
        tokens = ctx.login(who.role)
        listed = ctx.http.get("platform", f"/firms/{firm}/delegations", headers=tokens.bearer)
        ctx.expect_refusal(listed, 404, "firm_not_found", f"the {who.role} listing the delegations of {firm}")
        granted = ctx.http.post(
            "platform",
            f"/firms/{firm}/delegations",
            json={"user_id": member, "kind": "prepare"},
            headers=tokens.bearer,
        )
        ctx.expect_refusal(granted, 404, "firm_not_found", f"the {who.role} granting a delegation in {firm}")


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
    title="The accountant grants each kind of delegation (sign, seal, prepare) to a collaborator, and revokes it",
    cites=(GUIDE_DELEGATIONS, RULE_DELEGATIONS),
    severity=Severity.MAJOR,
    needs=("login",),
)
def grant_and_revoke(ctx: CheckContext) -> None:
    """For each kind: granted (201), listed with that kind, that collaborator and the accountant as grantor; then
    each is revoked (204) and no longer listed."""
    tokens = ctx.login("accountant")
    firm = _firm_of(ctx, "collaborator")
    colleague = ctx.target.account("collaborator")
    path = f"/firms/{firm}/delegations"
    granted = {}
    for kind in KINDS:
        answer = ctx.http.post(
            "platform", path, json={"user_id": colleague.user_id, "kind": kind}, headers=tokens.bearer
        )
        granted[kind] = ctx.expect_accepted(answer, 201, rule=f"granting the {kind} delegation")["id"]
    listed = {d["id"]: d for d in ctx.expect_status(ctx.http.get("platform", path, headers=tokens.bearer), 200)["data"]}
    for kind, delegation_id in granted.items():
        ctx.expect(delegation_id in listed, f"the granted {kind} delegation is not listed")
        seen = listed[delegation_id]
        ctx.expect(
            (seen.get("kind"), seen.get("user_id")) == (kind, colleague.user_id),
            f"the {kind} delegation is listed as {seen.get('kind')} to {seen.get('user_id')}",
        )
        if ctx.target.account("accountant").user_id:
            ctx.expect(
                seen.get("granted_by") == ctx.target.account("accountant").user_id,
                f"the {kind} delegation is listed as granted by {seen.get('granted_by')}",
            )
    for kind, delegation_id in granted.items():
        revoked = ctx.http.delete("platform", f"{path}/{delegation_id}", headers=tokens.bearer)
        ctx.expect(revoked.status_code == 204, f"revoking the {kind} delegation answered {revoked.status_code}")
    still = {d["id"] for d in ctx.expect_status(ctx.http.get("platform", path, headers=tokens.bearer), 200)["data"]}
    left = sorted(kind for kind, delegation_id in granted.items() if delegation_id in still)
    ctx.expect(not left, f"the revoked {', '.join(left)} delegation(s) are still listed")


@check(
    "registration.delegations.revoked_in_its_firm_only",
    title="A delegation is revoked through its own firm only, not through another firm of either accountant",
    cites=(
        GUIDE_DELEGATIONS,
        RULE_DELEGATIONS,
        "OWASP API Security Top 10 2023, API1: broken object level authorization",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def revoked_in_its_firm_only(ctx: CheckContext) -> None:
    """The accountant grants a ``prepare`` delegation in the collaborator's firm; revoking it through the path of the
    accountant's other firm, then (as the second accountant) through the path of the second accountant's firm, is
    each refused (404 ``delegation_not_found``) and the delegation is still listed; it is then revoked through its
    own firm (204). The two other firms are tried because an identifier compared by order rather than equality lets
    one of them through, whichever it is."""
    tokens = ctx.login("accountant")
    firm = _firm_of(ctx, "collaborator")
    colleague = ctx.target.account("collaborator")
    path = f"/firms/{firm}/delegations"
    answer = ctx.http.post(
        "platform", path, json={"user_id": colleague.user_id, "kind": "prepare"}, headers=tokens.bearer
    )
    delegation_id = ctx.expect_accepted(answer, 201, rule="granting the prepare delegation")["id"]
    others = [(tokens, f, "the accountant's other firm") for f in ctx.target.account("accountant").firms if f != firm]
    second = ctx.target.account("second_accountant").firms
    if second and second[0] != firm:
        others.append((ctx.login("second_accountant"), second[0], "the second accountant's firm"))
    if not others:
        ctx.skip("the target names no firm other than the collaborator's for the accountants")
    try:
        for who, other, what in others:
            revoked = ctx.http.delete("platform", f"/firms/{other}/delegations/{delegation_id}", headers=who.bearer)
            ctx.expect_refusal(revoked, 404, "delegation_not_found", f"revoking it through {what}, {other}")
            listed = ctx.expect_status(ctx.http.get("platform", path, headers=tokens.bearer), 200)["data"]
            ctx.expect(
                delegation_id in {d["id"] for d in listed},
                f"revoking the delegation through {what} ({other}) removed it from {firm}",
            )
    finally:
        ctx.http.delete("platform", f"{path}/{delegation_id}", headers=tokens.bearer)


@check(
    "registration.delegations.unknown_kind",
    title="A delegation other than sign, seal or prepare is refused",
    cites=(RULE_DELEGATIONS, "docs/registration.md, step 6: delegations sign, seal, prepare"),
    severity=Severity.MAJOR,
    needs=("login",),
)
def unknown_kind(ctx: CheckContext) -> None:
    """Kinds that are not delegations (``admin``, ``Sign``, ``sign,seal``, empty) are refused with 400
    ``invalid_delegation_kind``, and none is listed."""
    tokens = ctx.login("accountant")
    firm = _firm_of(ctx, "collaborator")
    colleague = ctx.target.account("collaborator")
    path = f"/firms/{firm}/delegations"
    for kind in ("admin", "Sign", "sign,seal", ""):
        answer = ctx.http.post(
            "platform", path, json={"user_id": colleague.user_id, "kind": kind}, headers=tokens.bearer
        )
        ctx.expect_refusal(answer, 400, "invalid_delegation_kind", f"a delegation of kind {kind!r}")
    listed = ctx.expect_status(ctx.http.get("platform", path, headers=tokens.bearer), 200)["data"]
    odd = [d.get("kind") for d in listed if d.get("kind") not in KINDS]
    ctx.expect(not odd, f"delegations of kinds {odd} are listed")


#: The delegations a firm's accountant grants (DESIGN.md §2).
KINDS = ("sign", "seal", "prepare")


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
