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
    """The outsider (a collaborator of the accountant's first firm) is granted a ``sign`` delegation in a firm he is
    not a member of: by the accountant in his other firm, and by the second accountant in each of his firms. Each is
    refused (404 ``collaborator_not_found``) and nothing is listed for him there. Firms on both sides of the
    outsider's own are tried because a membership looked up by order of the firm ids (or of the people's) rather
    than by equality takes his membership of one firm for one of the other."""
    outsider = ctx.target.account("outsider")
    tries = [("accountant", f) for f in ctx.target.account("accountant").firms if f not in outsider.firms]
    tries += [
        ("second_accountant", f) for f in ctx.target.account("second_accountant").firms if f not in outsider.firms
    ]
    if not tries or not outsider.user_id:
        ctx.skip("the target names no firm of the accountants that the outsider is not a member of")
    for role, firm in tries:
        tokens = ctx.login(role)
        path = f"/firms/{firm}/delegations"
        answer = ctx.http.post(
            "platform", path, json={"user_id": outsider.user_id, "kind": "sign"}, headers=tokens.bearer
        )
        ctx.expect_refusal(
            answer, 404, "collaborator_not_found", f"the {role} granting a delegation in {firm} to someone outside it"
        )
        listed = ctx.expect_status(ctx.http.get("platform", path, headers=tokens.bearer), 200)["data"]
        ctx.expect(
            all(d.get("user_id") != outsider.user_id for d in listed),
            f"a delegation to the outsider is listed in {firm}, a firm he is not a member of",
        )


@check(
    "registration.delegations.collaborators_only",
    title="A delegation is granted to a collaborator: not to a chartered accountant of the firm, not to oneself",
    cites=(GUIDE_DELEGATIONS, RULE_DELEGATIONS),
    severity=Severity.MAJOR,
    needs=("login",),
)
def collaborators_only(ctx: CheckContext) -> None:
    """The accountant grants a ``sign`` delegation to himself, in each of his firms; the second accountant grants one
    to the ``no_mobile`` accountant, a chartered accountant of a firm they share. Each is refused (400
    ``not_a_collaborator``) and nothing is listed for that person there."""
    tries = [("accountant", "accountant", f) for f in ctx.target.account("accountant").firms]
    shared = set(ctx.target.account("second_accountant").firms) & set(ctx.target.account("no_mobile").firms)
    tries += [("second_accountant", "no_mobile", f) for f in sorted(shared)]
    tries = [(who, to, f) for who, to, f in tries if ctx.target.account(to).user_id]
    if not tries:
        ctx.skip("the target names no chartered accountant (with his user id) to delegate to in a firm of his")
    for who, to, firm in tries:
        tokens = ctx.login(who)
        person = ctx.target.account(to).user_id
        path = f"/firms/{firm}/delegations"
        answer = ctx.http.post("platform", path, json={"user_id": person, "kind": "sign"}, headers=tokens.bearer)
        whom = "himself" if who == to else f"the {to} accountant"
        ctx.expect_refusal(answer, 400, "not_a_collaborator", f"the {who} delegating to {whom} in {firm}")
        listed = ctx.expect_status(ctx.http.get("platform", path, headers=tokens.bearer), 200)["data"]
        ctx.expect(all(d.get("user_id") != person for d in listed), f"a delegation to {whom} is listed in {firm}")


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
    title="The accountant grants each kind of delegation (sign, seal, prepare) to each collaborator, and revokes it",
    cites=(GUIDE_DELEGATIONS, RULE_DELEGATIONS),
    severity=Severity.MAJOR,
    needs=("login",),
)
def grant_and_revoke(ctx: CheckContext) -> None:
    """Every kind granted to the collaborator and to the delegated collaborator (but the kinds he already holds),
    interleaved: ``seal`` to the first then the second, ``prepare`` to the second then the first, ``sign`` last
    (so that each person is granted kinds sorting both before and after the ones he holds, and each kind is granted
    to each person while the other holds it, in both orders: a delegation looked up by order of the kinds or of the
    people rather than by equality refuses one of them as already held). Each is granted (201), listed with that
    kind, that collaborator and the accountant as grantor; then each is revoked (204) and no longer listed, and the
    delegations held before are still listed."""
    tokens = ctx.login("accountant")
    firm = _firm_of(ctx, "collaborator")
    path = f"/firms/{firm}/delegations"
    first = ctx.target.account("collaborator")
    people = [first]
    second = ctx.target.account("collaborator_delegated")
    if firm in second.firms and second.user_id and second.user_id != first.user_id:
        people.append(second)
    before = ctx.expect_status(ctx.http.get("platform", path, headers=tokens.bearer), 200)["data"]
    held = {(d.get("user_id"), d.get("kind")) for d in before}
    order = [(0, "seal"), (1, "seal"), (1, "prepare"), (0, "prepare"), (0, "sign"), (1, "sign")]
    wanted = [(people[i], kind) for i, kind in order if i < len(people) and (people[i].user_id, kind) not in held]
    granted: dict[tuple[str, str], str] = {}
    try:
        for person, kind in wanted:
            answer = ctx.http.post(
                "platform", path, json={"user_id": person.user_id, "kind": kind}, headers=tokens.bearer
            )
            rule = f"granting the {kind} delegation to the {person.role}"
            granted[(person.role, kind)] = ctx.expect_accepted(answer, 201, rule=rule)["id"]
        listed = {
            d["id"]: d for d in ctx.expect_status(ctx.http.get("platform", path, headers=tokens.bearer), 200)["data"]
        }
        for person, kind in wanted:
            delegation_id = granted[(person.role, kind)]
            ctx.expect(delegation_id in listed, f"the {kind} delegation granted to the {person.role} is not listed")
            seen = listed[delegation_id]
            ctx.expect(
                (seen.get("kind"), seen.get("user_id")) == (kind, person.user_id),
                f"the {kind} delegation to the {person.role} is listed as {seen.get('kind')} to {seen.get('user_id')}",
            )
            if ctx.target.account("accountant").user_id:
                ctx.expect(
                    seen.get("granted_by") == ctx.target.account("accountant").user_id,
                    f"the {kind} delegation is listed as granted by {seen.get('granted_by')}",
                )
        for (role, kind), delegation_id in list(granted.items()):
            revoked = ctx.http.delete("platform", f"{path}/{delegation_id}", headers=tokens.bearer)
            ctx.expect(
                revoked.status_code == 204, f"revoking the {role}'s {kind} delegation answered {revoked.status_code}"
            )
            del granted[(role, kind)]
    finally:
        for delegation_id in granted.values():
            ctx.http.delete("platform", f"{path}/{delegation_id}", headers=tokens.bearer)
    after = ctx.expect_status(ctx.http.get("platform", path, headers=tokens.bearer), 200)["data"]
    ids = {d["id"] for d in after}
    gone = sorted(str(d["id"]) for d in before if d["id"] not in ids)
    ctx.expect(not gone, f"revoking the delegations granted here removed {gone}, held before")
    left = sorted(d["id"] for d in after if d["id"] not in {b["id"] for b in before})
    ctx.expect(not left, f"the revoked delegation(s) {left} are still listed")


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
    "registration.delegations.listed_per_firm",
    title="A firm's list of delegations holds that firm's delegations, none of another firm's",
    cites=(
        GUIDE_DELEGATIONS,
        RULE_DELEGATIONS,
        "OWASP API Security Top 10 2023, API1: broken object level authorization",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def listed_per_firm(ctx: CheckContext) -> None:
    """The accountant grants a ``prepare`` delegation in the collaborator's firm; then he lists the delegations of
    each of his firms, and the second accountant those of each of his. The delegation is listed in its own firm and
    in no other, and no delegation listed names another firm than the one listed. The firms of both accountants are
    listed because a firm compared by order rather than by equality shows the delegations of the firms sorting on
    one side of it, whichever it is."""
    tokens = ctx.login("accountant")
    firm = _firm_of(ctx, "collaborator")
    colleague = ctx.target.account("collaborator")
    path = f"/firms/{firm}/delegations"
    lists = [(tokens, "accountant", f) for f in ctx.target.account("accountant").firms]
    second = ctx.target.account("second_accountant")
    if second.firms:
        lists += [(ctx.login("second_accountant"), "second_accountant", f) for f in second.firms]
    if all(f == firm for _, _, f in lists):
        ctx.skip("the target names no firm of the accountants other than the collaborator's")
    answer = ctx.http.post(
        "platform", path, json={"user_id": colleague.user_id, "kind": "prepare"}, headers=tokens.bearer
    )
    delegation_id = ctx.expect_accepted(answer, 201, rule="granting the prepare delegation")["id"]
    try:
        for who, role, listed_firm in lists:
            listed = ctx.http.get("platform", f"/firms/{listed_firm}/delegations", headers=who.bearer)
            found = ctx.expect_status(listed, 200, what=f"the {role} listing the delegations of {listed_firm}")["data"]
            ids = {d.get("id") for d in found}
            if listed_firm == firm:
                ctx.expect(delegation_id in ids, f"the delegation granted in {firm} is not in its list")
            else:
                ctx.expect(
                    delegation_id not in ids,
                    f"the list of {listed_firm}, asked by the {role}, shows the delegation granted in {firm}",
                )
            strays = sorted({str(d.get("firm_id")) for d in found if d.get("firm_id", listed_firm) != listed_firm})
            ctx.expect(not strays, f"the list of {listed_firm}, asked by the {role}, shows delegations of {strays}")
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


@check(
    "registration.delegations.sign_required_to_register",
    title="A collaborator without the sign delegation cannot request a personal certificate; granted it, it can",
    cites=(
        GUIDE_DELEGATIONS,
        "jesignexpert.com: the personal certificate is for chartered accountants and their collaborators holding "
        "the sign delegation",
    ),
    severity=Severity.CRITICAL,
    needs=("login",),
)
def sign_required_to_register(ctx: CheckContext) -> None:
    """The ``collaborator`` (no delegation) confirms its profile (step 1), then asks for its certificate (step 2's
    hand-off): refused, 403 ``sign_delegation_required``, and no request is opened. The accountant grants it the
    firm's ``sign`` delegation: the same call opens the request (201). The delegation is withdrawn afterwards."""
    firm = _firm_of(ctx, "collaborator")
    colleague = ctx.target.account("collaborator")
    tokens = ctx.login("collaborator")
    status = platform(ctx, tokens)
    if status.get("certificate_request"):
        ctx.skip("the collaborator account has a certificate request already: give one that has not registered")
    mobile = colleague.mobile or status["profile"].get("mobile_number")
    answer = ctx.http.post("platform", "/registration/profile", json={"mobile_number": mobile}, headers=tokens.bearer)
    ctx.expect_status(answer, 200, what="confirming the collaborator's profile (step 1)")
    answer = ctx.http.post("platform", "/registration/certificate-request", json={}, headers=tokens.bearer)
    ctx.expect_refusal(answer, 403, "sign_delegation_required", "a certificate request without the sign delegation")
    after = platform(ctx, tokens)
    ctx.expect(
        after["state"] == "profile_confirmed" and not after.get("certificate_request"),
        f"after the refusal the collaborator is {after['state']} with {after.get('certificate_request')}",
    )
    accountant = ctx.login("accountant")
    path = f"/firms/{firm}/delegations"
    granted = ctx.expect_status(
        ctx.http.post("platform", path, json={"user_id": colleague.user_id, "kind": "sign"}, headers=accountant.bearer),
        201,
        what="granting the collaborator the sign delegation",
    )
    try:
        answer = ctx.http.post("platform", "/registration/certificate-request", json={}, headers=tokens.bearer)
        ctx.expect_accepted(answer, 201, rule="the certificate request once the sign delegation is held")
    finally:
        ctx.http.delete("platform", f"{path}/{granted['id']}", headers=accountant.bearer)
