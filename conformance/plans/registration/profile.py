"""Step 1, « pré-validation des informations Comptexpert »: read-only identity, mobile mandatory and well-formed."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.plans.registration.fixtures import platform
from conformance.registry import check
from conformance.results import Severity

GUIDE_STEP_1 = (
    "Guide, « S'enregistrer : pré-validation des informations Comptexpert » : « Votre numéro de téléphone mobile "
    "est obligatoire »; nom, prénom, cabinets, email hérités de Comptexpert (« rapprocher de votre CROEC »)"
)
RULE_1 = "DESIGN.md §2, step 1: names, e-mail and firms read-only; mobile mandatory, French mobile or E.164"


@check(
    "registration.profile.first_login",
    title="At the first login the platform asks to confirm the profile, its SSO fields read-only",
    cites=("Guide : « Lors de votre première connexion uniquement, vous devez suivre quelques étapes »", RULE_1),
    severity=Severity.MAJOR,
    needs=("login",),
)
def first_login(ctx: CheckContext) -> None:
    tokens = ctx.login("accountant")
    status = platform(ctx, tokens)
    if status["state"] != "authenticated" and "reset" not in ctx.harness.capabilities:
        ctx.skip(f"the accountant account is already {status['state']}: this needs an account not registered yet")
    ctx.expect(status["state"] == "authenticated", f"a first login is in state {status['state']}")
    ctx.expect(status["next_action"] == "confirm_profile", f"the next action is {status['next_action']}")
    profile = status["profile"]
    read_only = set(profile.get("read_only_fields", ()))
    ctx.expect(
        {"given_name", "family_name", "email", "firms"} <= read_only,
        f"the read-only fields are {sorted(read_only)}",
    )
    ctx.expect(profile["family_name"] == tokens.claims.get("family_name"), "the profile's name is not the SSO's")


@check(
    "registration.profile.read_only_fields",
    title="None of the names, the e-mail and the firms can be changed at step 1",
    cites=(GUIDE_STEP_1, RULE_1),
    severity=Severity.MAJOR,
    needs=("login",),
)
def read_only_fields(ctx: CheckContext) -> None:
    """Each field the SSO gives sent changed, with a valid mobile: the given and family names and the e-mail each cut
    short by a character and lengthened by one (a value sorting before the SSO's and one after), the firms emptied,
    one more, one replaced. Each is refused (``read_only_field``), and the profile and state are unchanged."""
    tokens = ctx.login("accountant")
    before = platform(ctx, tokens)
    mobile = ctx.target.account("accountant").mobile or "+33612345678"
    own = [{"id": f["id"]} for f in before["profile"]["firms"]]
    foreign = next(iter(ctx.target.account("second_accountant").firms), "frm_conformance_other")
    changes: list[tuple[str, dict[str, object]]] = []
    for field, what in (("given_name", "the given name"), ("family_name", "the family name"), ("email", "the e-mail")):
        value = str(before["profile"][field])
        # One value sorting before the SSO's and one after: a field compared by order lets one side through.
        changes += [(f"{what}, cut short", {field: value[:-1]}), (f"{what}, lengthened", {field: value + "x"})]
    changes += [
        ("the firms, emptied", {"firms": []}),
        ("the firms, one more", {"firms": [*own, {"id": foreign}]}),
        ("the firms, one replaced", {"firms": [*own[1:], {"id": foreign}]}),
    ]
    for what, change in changes:
        answer = ctx.http.post(
            "platform", "/registration/profile", json={**change, "mobile_number": mobile}, headers=tokens.bearer
        )
        ctx.expect_refusal(answer, 400, "read_only_field", f"changing {what} at step 1")
    after = platform(ctx, tokens)
    ctx.expect(after["state"] == before["state"], "a refused change moved the registration on")
    for field in READ_ONLY:
        ctx.expect(after["profile"][field] == before["profile"][field], f"a refused change changed the {field}")


#: The profile fields that come from the SSO (DESIGN.md §2, step 1).
READ_ONLY = ("given_name", "family_name", "email", "firms")


@check(
    "registration.profile.mobile_required",
    title="Step 1 refuses a profile without a mobile number",
    cites=(GUIDE_STEP_1, RULE_1),
    severity=Severity.MAJOR,
    needs=("login",),
)
def mobile_required(ctx: CheckContext) -> None:
    tokens = ctx.login("no_mobile")
    for body in ({}, {"mobile_number": ""}, {"mobile_number": "   "}):
        answer = ctx.http.post("platform", "/registration/profile", json=body, headers=tokens.bearer)
        ctx.expect_refusal(answer, 400, "mobile_number_required", f"a profile with {body or 'no mobile'}")
    ctx.expect(platform(ctx, tokens)["state"] == "authenticated", "a refused profile was confirmed")


@check(
    "registration.profile.mobile_format",
    title="Step 1 accepts only a French mobile (06, 07) or an E.164 number",
    cites=(GUIDE_STEP_1, RULE_1, "ITU-T E.164"),
    severity=Severity.MAJOR,
    needs=("login",),
)
def mobile_format(ctx: CheckContext) -> None:
    tokens = ctx.login("no_mobile")
    for number in ("01 23 45 67 89", "0612", "+33 1 23 45 67 89", "not a number"):
        answer = ctx.http.post(
            "platform", "/registration/profile", json={"mobile_number": number}, headers=tokens.bearer
        )
        ctx.expect_refusal(answer, 400, "invalid_mobile_number", f"the mobile number {number!r}")


@check(
    "registration.profile.confirm",
    title="Step 1 confirms the profile with a French mobile, kept in E.164",
    cites=(GUIDE_STEP_1, RULE_1),
    severity=Severity.MAJOR,
    needs=("login",),
)
def confirm(ctx: CheckContext) -> None:
    tokens = ctx.login("no_mobile")
    answer = ctx.http.post(
        "platform", "/registration/profile", json={"mobile_number": "06 11 22 33 44"}, headers=tokens.bearer
    )
    status = ctx.expect_accepted(answer, rule="confirming the profile with 06 11 22 33 44")
    ctx.expect(status["state"] == "profile_confirmed", f"the confirmed profile is in state {status['state']}")
    ctx.expect(status["next_action"] == "start_certificate_request", f"the next action is {status['next_action']}")
    ctx.expect(
        status["profile"]["mobile_number"] == "+33611223344",
        f"the mobile is kept as {status['profile']['mobile_number']}, not +33611223344",
    )
