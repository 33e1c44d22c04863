"""Step 6, « validation des CGU et RGPD »: both boxes per firm, current versions, the service opened per firm."""

from __future__ import annotations

from conformance.context import CheckContext, UnexpectedAnswer
from conformance.oidc import Tokens
from conformance.plans.registration import steps
from conformance.plans.registration.fixtures import accountant_issued, platform, register, terms_body
from conformance.registry import check
from conformance.results import Severity

GUIDE_STEP_6 = (
    "Guide, « S'enregistrer : validation des CGU et RGPD » : « cocher les cases « lu et accepté » » pour chaque "
    "cabinet ; « Valider mon enregistrement » ouvre l'accès au service à votre cabinet/vos cabinets"
)
RULE_6 = "DESIGN.md §2, step 6: both boxes per firm; versions recorded; opens the service to the firm(s)"


@check(
    "registration.terms.after_certificate",
    title="The terms cannot be accepted before the certificate is issued, at any state of the request before it",
    cites=(GUIDE_STEP_6, RULE_6, "DESIGN.md §2: illegal transitions answer 409"),
    severity=Severity.MAJOR,
    needs=("login",),
)
def after_certificate(ctx: CheckContext) -> None:
    """The second accountant (profile confirmed) accepts the terms for every firm of his: with no certificate
    request; then at each state that a request the platform hands over goes through before its certificate is
    issued: ``created``, identity given, document uploaded, agreement consented; with the ``otp`` and ``review``
    capabilities, the agreement signed and pending review, then rejected; and a request cancelled. Each is refused
    (409 ``registration_wrong_state``) and no firm opens. Every state is tried because a state compared by order
    rather than by equality lets some of them through, whichever they are. At each, the platform's
    ``certificate_request`` names a ``rejection_reason`` only once the request is rejected, and then the review's
    reason (``document_unreadable``)."""
    tokens = ctx.login("second_accountant")
    status = platform(ctx, tokens)
    if status["state"] == "authenticated":
        mobile = ctx.target.account("second_accountant").mobile or "+33645678901"
        answer = ctx.http.post(
            "platform", "/registration/profile", json={"mobile_number": mobile}, headers=tokens.bearer
        )
        ctx.expect_status(answer, 200, what="confirming the second accountant's profile")
    firms = [f["id"] for f in platform(ctx, tokens, "/me")["firms"]]
    body = terms_body(ctx, tokens, firms)

    def refused(when: str) -> None:
        answer = ctx.http.post("platform", "/registration/terms", json=body, headers=tokens.bearer)
        ctx.expect_refusal(answer, 409, "registration_wrong_state", f"accepting the terms {when}")
        status = platform(ctx, tokens)
        opened = status["active_firms"]
        ctx.expect(opened == [], f"a refused acceptance {when} opened {opened}")
        request = status.get("certificate_request") or {}
        if request.get("state") == "rejected":
            reason = request.get("rejection_reason")
            ctx.expect(reason == "document_unreadable", f"{when}, the platform gives the reason {reason!r}")
        else:
            ctx.expect(
                "rejection_reason" not in request,
                f"{when}, the platform's certificate_request names a rejection_reason ({request.get('state')})",
            )

    refused("with no certificate request")
    reg = _handed_over(ctx, tokens)
    refused("once the request is handed over (created)")
    ctx.expect_status(steps.submit_identity(ctx, reg), 200, what="submitting the identity (step 2)")
    refused("with the identity given (identity_submitted)")
    ctx.expect_status(steps.upload(ctx, reg), 200, what="uploading the identity document (step 3)")
    refused("with the identity document uploaded (documents_submitted)")
    ctx.expect_status(steps.consent(ctx, reg), 200, what="consenting to the agreement (step 4)")
    refused("with the agreement consented, not signed")
    if {"otp", "review"} <= ctx.harness.capabilities:
        ctx.harness.expect_review(approve=True, delay_seconds=3600)
        signed = steps.sign(ctx, reg, ctx.harness.otp(reg.phone_number))
        state = ctx.expect_status(signed, 200, what="signing the agreement (step 4)")["state"]
        if state == "pending_validation":
            refused("with the agreement signed, pending review (pending_validation)")
        ctx.harness.decide_review(reg.id, approve=False, reason="document_unreadable")
        state = steps.view(ctx, reg)["state"]
        if state != "rejected":
            raise UnexpectedAnswer(f"after the review rejected it, the request is {state}")
        refused("with the request rejected")
        reg = _handed_over(ctx, tokens)
    cancelled = ctx.http.post("trust", reg.path("/cancel"), headers=reg.auth)
    ctx.expect_status(cancelled, 200, what="cancelling the certificate request")
    refused("with the request cancelled")


def _handed_over(ctx: CheckContext, tokens: Tokens) -> steps.Registration:
    """A new certificate request, handed over by the platform (step 2 hand-off)."""
    answer = ctx.http.post("platform", "/registration/certificate-request", json={}, headers=tokens.bearer)
    handoff = ctx.expect_status(answer, 201, what="starting a certificate request (step 2 hand-off)")
    return steps.handed_over(ctx, handoff, str(platform(ctx, tokens, "/me")["mobile_number"]))


@check(
    "registration.terms.both_boxes",
    title="Both boxes (terms of use, data protection) are needed for every firm named",
    cites=(GUIDE_STEP_6, RULE_6),
    severity=Severity.MAJOR,
    needs=("login", "otp", "review"),
)
def both_boxes(ctx: CheckContext) -> None:
    """One acceptance naming every firm of the accountant, all boxes ticked but one: each box in turn, unticked
    (``false``) or left out, on the first firm and on the last one. Each is refused (``terms_not_accepted``) and
    no firm opens."""
    holder = ctx.use(accountant_issued)
    firms = [f["id"] for f in holder.firms]
    for position in sorted({0, len(firms) - 1}):
        for box in ("cgu_accepted", "privacy_policy_accepted"):
            for unticked in (False, None):
                body = terms_body(ctx, holder.tokens, firms)
                entry = body["firms"][position]
                if unticked is None:
                    del entry[box]
                else:
                    entry[box] = unticked
                what = f"the terms with {box} {'left out' if unticked is None else 'false'} for {firms[position]}"
                answer = ctx.http.post("platform", "/registration/terms", json=body, headers=holder.tokens.bearer)
                ctx.expect_refusal(answer, 400, "terms_not_accepted", what)
    opened = platform(ctx, holder.tokens)["active_firms"]
    ctx.expect(opened == [], f"refused acceptances opened {opened}")


@check(
    "registration.terms.current_versions",
    title="The terms must be accepted in their current versions",
    cites=(RULE_6,),
    severity=Severity.MINOR,
    needs=("login", "otp", "review"),
)
def current_versions(ctx: CheckContext) -> None:
    """The terms for one firm with the CGU's version, then the privacy policy's, replaced by one before the current
    (``1999-01``) and one after it (``2999-01``, a version not published): each refused (409
    ``terms_version_outdated``), and no firm opens."""
    holder = ctx.use(accountant_issued)
    body = terms_body(ctx, holder.tokens, [holder.firms[0]["id"]])
    for field in ("cgu_version", "privacy_policy_version"):
        for version in ("1999-01", "2999-01"):
            answer = ctx.http.post(
                "platform", "/registration/terms", json={**body, field: version}, headers=holder.tokens.bearer
            )
            ctx.expect_refusal(answer, 409, "terms_version_outdated", f"the terms with {field} {version}")
    opened = platform(ctx, holder.tokens)["active_firms"]
    ctx.expect(opened == [], f"refused acceptances opened {opened}")


@check(
    "registration.terms.per_firm",
    title="Accepting the terms for one firm opens the service to that firm only, then to the next",
    cites=(GUIDE_STEP_6, RULE_6),
    severity=Severity.MAJOR,
    needs=("login", "otp", "review"),
)
def per_firm(ctx: CheckContext) -> None:
    holder = ctx.use(accountant_issued)
    if len(holder.firms) < 2:
        ctx.skip("the accountant account has a single firm")
    first, second = holder.firms[0]["id"], holder.firms[1]["id"]
    before = platform(ctx, holder.tokens)
    if second in before["active_firms"]:
        ctx.skip("an earlier check already opened the second firm")
    if not before["active_firms"]:
        seen = (before["state"], before["next_action"])
        ctx.expect(
            seen == ("certificate_issued", "accept_terms"),
            f"with the certificate issued and no terms accepted, the platform says {seen}",
        )
    body = terms_body(ctx, holder.tokens, [first])
    status = ctx.expect_accepted(
        ctx.http.post("platform", "/registration/terms", json=body, headers=holder.tokens.bearer),
        rule="accepting the terms for one firm",
    )
    ctx.expect(status["active_firms"] == [first], f"accepting for {first} opened {status['active_firms']}")
    opened = {f["id"]: f["service_open"] for f in platform(ctx, holder.tokens, "/me")["firms"]}
    ctx.expect(opened.get(first) is True and opened.get(second) is False, f"the service is open to {opened}")
    body = terms_body(ctx, holder.tokens, [second])
    status = ctx.expect_accepted(
        ctx.http.post("platform", "/registration/terms", json=body, headers=holder.tokens.bearer),
        rule="accepting the terms for one firm",
    )
    ctx.expect(sorted(status["active_firms"]) == sorted([first, second]), "the second firm did not open")
    ctx.expect(status["state"] == "active", f"the registered accountant is {status['state']}")
    ctx.expect(status["next_action"] is None, f"a registered accountant still has to {status['next_action']}")


@check(
    "registration.terms.per_person",
    title="One person's acceptance of a firm's terms is theirs: a colleague of the same firm accepts for themself",
    cites=(GUIDE_STEP_6, RULE_6 + "; the versions recorded per person and firm"),
    severity=Severity.MAJOR,
    needs=("login", "otp", "review"),
)
def per_person(ctx: CheckContext) -> None:
    """The ``no_mobile`` and ``second_accountant`` accountants, members of one firm, each registered through the
    platform (a mobile typed at step 1 for the one without), each accepting the terms for that firm, the one with
    the smaller user id first (an acceptance looked up by order of user ids rather than by equality then takes the
    first one's for the second's). Each is then ``active`` with that firm as its only active firm, and its ``/me``
    shows the service open to that firm (opened by an accountant of that very firm, whatever other firms they have).
    The accountant's active firms are then all his own: none is another person's (people compared by order of
    their user ids rather than by equality would show, on one side, the firm the two others accepted)."""
    people = sorted(("no_mobile", "second_accountant"), key=lambda role: ctx.target.account(role).user_id)
    shared = set(ctx.target.account(people[0]).firms) & set(ctx.target.account(people[1]).firms)
    if not shared:
        ctx.skip("the target names no firm that both the no_mobile and second_accountant accounts belong to")
    firm = sorted(shared)[0]
    tokens = {role: register(ctx, role, mobile="+33656789012", firms=[firm]) for role in people}
    for role in people:
        status = platform(ctx, tokens[role])
        ctx.expect(
            status["active_firms"] == [firm] and status["state"] == "active",
            f"after both accepted the terms for {firm} (and no other firm), the {role} is {status['state']}, open "
            f"to {status['active_firms']}",
        )
        opened = {f["id"]: f.get("service_open") for f in platform(ctx, tokens[role], "/me")["firms"]}
        ctx.expect(opened.get(firm) is True, f"after both accepted the terms for {firm}, the {role} sees {opened}")
    accountant = platform(ctx, ctx.login("accountant"))
    own = {f["id"] for f in accountant["profile"]["firms"]}
    foreign = [f for f in accountant["active_firms"] if f not in own]
    ctx.expect(not foreign, f"the accountant's active firms include {foreign}, firms of others, not his")
