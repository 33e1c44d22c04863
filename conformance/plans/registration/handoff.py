"""Step 2's start: the platform hands the person over to the trust provider with a registration session."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from conformance.context import CheckContext
from conformance.plans.registration import steps
from conformance.plans.registration.fixtures import accountant_handed_over, platform
from conformance.registry import check
from conformance.results import Severity

GUIDE_HANDOFF = (
    "Guide, étape 1 : « En cliquant sur « poursuivre l'enregistrement » vous serez redirigé vers le site de notre "
    "tiers de confiance »"
)
RULE_HANDOFF = "DESIGN.md §2, step 2: the platform hands over with a registration session (POST /v1/registrations)"


@check(
    "registration.handoff.requires_profile",
    title="The certificate request cannot start before the profile is confirmed",
    cites=(GUIDE_HANDOFF, RULE_HANDOFF, "DESIGN.md §2: illegal transitions answer 409 and change nothing"),
    severity=Severity.MAJOR,
    needs=("login",),
)
def requires_profile(ctx: CheckContext) -> None:
    tokens = ctx.login("second_accountant")
    before = platform(ctx, tokens)
    if before["state"] != "authenticated":
        ctx.skip(f"the second accountant is already {before['state']}")
    answer = ctx.http.post("platform", "/registration/certificate-request", json={}, headers=tokens.bearer)
    ctx.expect_refusal(answer, 409, "profile_not_confirmed", "a certificate request before step 1")
    ctx.expect(platform(ctx, tokens)["certificate_request"] is None, "a refused request left a registration behind")


@check(
    "registration.handoff.session",
    title="The hand-off opens a registration at the trust provider with the SSO's identity",
    cites=(GUIDE_HANDOFF, RULE_HANDOFF, "Universign REST API v1: POST /v1/registrations (applicant, level, url)"),
    severity=Severity.MAJOR,
    needs=("login",),
)
def session(ctx: CheckContext) -> None:
    holder = ctx.use(accountant_handed_over)
    handoff = holder.handoff
    for field in ("id", "url", "session_token", "level"):
        ctx.expect(handoff.get(field), f"the hand-off lacks {field}")
    ctx.expect(handoff["level"] == "qcpnqscd", f"the default level is {handoff['level']}, not qcpnqscd")
    seen = steps.view(ctx, holder.registration)
    applicant = seen["applicant"]
    ctx.expect(
        (applicant["given_name"], applicant["family_name"])
        == (holder.tokens.claims.get("given_name"), holder.tokens.claims.get("family_name")),
        "the trust provider's applicant is not the person the SSO logged in",
    )
    masked = applicant.get("phone_masked", "")
    ctx.expect(masked.endswith(holder.registration.phone_number[-4:]), "the masked phone does not end as the mobile")
    ctx.expect(holder.registration.phone_number[:-4][-4:] not in masked, "the phone is not masked")
    status = platform(ctx, holder.tokens)
    ctx.expect(status["certificate_request"]["id"] == handoff["id"], "the platform does not know the registration")


@check(
    "registration.handoff.levels",
    title="A registration is opened at the lcp, qcp or qcpnqscd level, and no other",
    cites=(
        "Universign REST API v1, POST /v1/registrations: level lcp, qcp or qcpnqscd",
        "ETSI EN 319 411-1 (LCP) and EN 319 411-2 (QCP-n, QCP-n-qscd)",
    ),
    severity=Severity.MAJOR,
)
def levels(ctx: CheckContext) -> None:
    for level in ctx.target.rules.levels:
        reg = steps.create(ctx, level=level)
        ctx.expect(reg.body.get("level") == level, f"asked for {level}, the registration is {reg.body.get('level')}")
    account = ctx.target.account("accountant")
    answer = ctx.http.post(
        "trust",
        "/registrations",
        data={"applicant": account.email, "level": "qscd_plus", "phone_number": account.mobile or "+33612345678"},
        auth=steps.operator_auth(ctx),
    )
    ctx.expect_refusal(answer, 400, "invalid_registration", "a registration at the level qscd_plus")


@check(
    "registration.handoff.redirect_url",
    title="A hand-off names an http(s) redirect_url, given back as the return_url once the applicant's part is over",
    cites=(
        "docs/registration.md, the operator calls: 400 invalid_registration for a redirect_url not http(s)",
        "docs/registration.md, trust → platform: return_url = redirect_url + registration_id and outcome",
    ),
    severity=Severity.MINOR,
)
def redirect_url(ctx: CheckContext) -> None:
    """The operator opens a registration with ``redirect_url`` ``javascript:alert(1)``, then one with
    ``ftp://integrator.example.com/back``: each refused (``invalid_registration``); then one with
    ``https://integrator.example.com/back``: opened; once cancelled, its view's ``return_url`` is that URL with
    ``registration_id`` and ``outcome=cancelled`` in its query."""
    account = ctx.target.account("accountant")
    base = {"applicant": account.email, "level": "qcpnqscd", "phone_number": account.mobile or "+33612345678"}
    for wrong in ("javascript:alert(1)", "ftp://integrator.example.com/back"):
        answer = ctx.http.post(
            "trust", "/registrations", data={**base, "redirect_url": wrong}, auth=steps.operator_auth(ctx)
        )
        ctx.expect_refusal(answer, 400, "invalid_registration", f"a hand-off to {wrong}")
    back = "https://integrator.example.com/back"
    answer = ctx.http.post(
        "trust", "/registrations", data={**base, "redirect_url": back}, auth=steps.operator_auth(ctx)
    )
    body = ctx.expect_accepted(answer, 201, rule=f"a hand-off to {back}")
    ctx.http.add_secret(body["session_token"])
    reg = steps.Registration(body["id"], body["session_token"], base["phone_number"], body)
    ctx.expect_accepted(ctx.http.post("trust", reg.path("/cancel"), headers=reg.auth), rule="cancelling it")
    returned = urlsplit(str(steps.view(ctx, reg).get("return_url") or ""))
    query = parse_qs(returned.query)
    ctx.expect(
        f"{returned.scheme}://{returned.netloc}{returned.path}" == back
        and query.get("registration_id") == [reg.id]
        and query.get("outcome") == ["cancelled"],
        f"the cancelled registration's return_url is {returned.geturl()!r}",
    )


@check(
    "registration.handoff.platform_follows",
    title="The platform's registration status follows the steps done at the trust provider",
    cites=(GUIDE_HANDOFF, RULE_HANDOFF, "docs/registration.md: the platform states and their next action"),
    severity=Severity.MAJOR,
    needs=("login",),
)
def platform_follows(ctx: CheckContext) -> None:
    """Right after the hand-off the platform says ``profile_confirmed`` with ``submit_identity`` next; once the
    identity is given at the trust provider (step 2), ``identity_submitted`` with ``upload_identity_document`` next,
    naming the same registration."""
    holder = ctx.use(accountant_handed_over)
    status = platform(ctx, holder.tokens)
    if status["state"] == "profile_confirmed":
        ctx.expect(
            status["next_action"] == "submit_identity", f"after the hand-off the next action is {status['next_action']}"
        )
    steps.walk(ctx, "identity_submitted", reg=holder.registration)
    status = platform(ctx, holder.tokens)
    seen = (status["state"], status["next_action"], (status.get("certificate_request") or {}).get("id"))
    expected = ("identity_submitted", "upload_identity_document", holder.registration.id)
    ctx.expect(seen == expected, f"once the identity is given the platform says {seen}, not {expected}")
