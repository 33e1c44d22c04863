"""Step 2, « création du certificat : identité »: birth date and both consents mandatory, adults only."""

from __future__ import annotations

from datetime import date, timedelta

from conformance.context import CheckContext
from conformance.plans.registration import steps
from conformance.registry import check
from conformance.results import Severity

GUIDE_STEP_2 = (
    "Guide, « S'enregistrer : création du certificat électronique » : "
    "« Vous devez saisir votre date de naissance puis cocher les cases. »"
)


@check(
    "registration.identity.birth_date_required",
    title="The identity is refused without a birth date",
    cites=(GUIDE_STEP_2, "DESIGN.md §2, step 2: birth date mandatory"),
    severity=Severity.MAJOR,
)
def birth_date_required(ctx: CheckContext) -> None:
    reg = steps.create(ctx)
    answer = steps.submit_identity(ctx, reg, birth_date=steps.OMIT)
    ctx.expect_refusal(answer, 400, "identity_incomplete", "an identity without a birth date")
    ctx.expect(steps.view(ctx, reg)["state"] == "created", "the refused identity moved the registration on")


@check(
    "registration.identity.consents_required",
    title="The identity is refused unless both consents are given",
    cites=(
        GUIDE_STEP_2,
        "Guide : cases « Conditions Générales d'Utilisation d'Universign » et « Politique de Protection des "
        "Données Personnelles »",
    ),
    severity=Severity.MAJOR,
)
def consents_required(ctx: CheckContext) -> None:
    reg = steps.create(ctx)
    for missing in ("accept_terms", "accept_privacy_policy"):
        for value in (steps.OMIT, False):
            answer = steps.submit_identity(ctx, reg, **{missing: value})
            ctx.expect_refusal(answer, 400, "identity_incomplete", f"an identity with {missing} not ticked")
    ctx.expect(steps.view(ctx, reg)["state"] == "created", "a refused identity moved the registration on")


@check(
    "registration.identity.adults_only",
    title="Under 18 is refused, up to the eve of the 18th birthday; the birthday itself is accepted",
    cites=(
        "Universign certification policy: certificates are issued to adult natural persons",
        "Code civil, article 414 : « La majorité est fixée à dix-huit ans accomplis »",
    ),
    severity=Severity.MAJOR,
)
def adults_only(ctx: CheckContext) -> None:
    """On the target's date (the day its clock gives a fresh registration): a 16-year-old and an applicant whose
    18th birthday is tomorrow are refused (``applicant_under_age``, nothing changes); one whose 18th birthday is
    today is accepted."""
    reg = steps.create(ctx)
    today = steps.target_today(ctx, reg)
    eve, birthday = _years_before(ctx, today + timedelta(days=1), 18), _years_before(ctx, today, 18)
    sixteen = today.replace(year=today.year - 16, day=min(today.day, 28))
    for born, who in ((sixteen, "a 16-year-old"), (eve, "an applicant whose 18th birthday is tomorrow")):
        answer = steps.submit_identity(ctx, reg, birth_date=born.isoformat())
        ctx.expect_refusal(answer, 400, "applicant_under_age", f"{who} (born {born}, on {today})")
        ctx.expect(steps.view(ctx, reg)["state"] == "created", f"the refused identity of {who} moved the request on")
    answer = steps.submit_identity(ctx, reg, birth_date=birthday.isoformat())
    body = ctx.expect_accepted(answer, rule=f"an applicant whose 18th birthday is today (born {birthday}, on {today})")
    ctx.expect(body["state"] == "identity_submitted", f"the accepted identity left the request {body['state']}")


def _years_before(ctx: CheckContext, day: date, years: int) -> date:
    """The same day ``years`` years before (an 18th birthday); skipped on a 29 February with no such day then."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        ctx.skip(f"{years} years before {day} has no 29 February: the birthday's eve is ambiguous, run it tomorrow")


@check(
    "registration.identity.earliest_birth_date",
    title="A birth date before the earliest accepted year is refused; 1 January of that year is accepted",
    cites=(GUIDE_STEP_2, "docs/registration.md, step 2: 400 invalid_birth_date (before 1900-01-01, or in the future)"),
    severity=Severity.MINOR,
)
def earliest_birth_date(ctx: CheckContext) -> None:
    """Both sides of ``rules.earliest_birth_year`` (1900 by default): 31 December of the year before is refused
    (``invalid_birth_date``, nothing changes), 1 January of that year accepted."""
    reg = steps.create(ctx)
    year = ctx.target.rules.earliest_birth_year
    before, first = date(year - 1, 12, 31), date(year, 1, 1)
    answer = steps.submit_identity(ctx, reg, birth_date=before.isoformat())
    ctx.expect_refusal(answer, 400, "invalid_birth_date", f"the birth date {before}")
    ctx.expect(steps.view(ctx, reg)["state"] == "created", f"the refused birth date {before} moved the request on")
    body = ctx.expect_accepted(steps.submit_identity(ctx, reg, birth_date=first.isoformat()), rule=f"born {first}")
    ctx.expect(body["state"] == "identity_submitted", f"the accepted identity left the request {body['state']}")


@check(
    "registration.identity.accepted",
    title="A complete identity (birth date, both consents) is accepted",
    cites=(GUIDE_STEP_2, "DESIGN.md §2, step 2: state identity_submitted"),
    severity=Severity.MAJOR,
)
def accepted(ctx: CheckContext) -> None:
    reg = steps.create(ctx)
    body = ctx.expect_accepted(steps.submit_identity(ctx, reg), rule="a complete identity")
    ctx.expect(body["state"] == "identity_submitted", f"the state is {body['state']}")
    ctx.expect(body["next_action"] == "upload_identity_document", f"the next action is {body['next_action']}")
    ctx.expect(body.get("birth_date_given") is True, "the birth date is not recorded")


@check(
    "registration.identity.given_once",
    title="The identity is given once: a second submission is refused and changes nothing",
    cites=(GUIDE_STEP_2, "DESIGN.md §2: illegal transitions answer 409 with a stable code and change nothing"),
    severity=Severity.MAJOR,
)
def given_once(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "identity_submitted")
    before = steps.view(ctx, reg)
    answer = steps.submit_identity(ctx, reg, birth_date="1950-06-01")
    ctx.expect_refusal(answer, 409, "registration_wrong_state", "a second identity over the first")
    after = steps.view(ctx, reg)
    ctx.expect(after["updated_at"] == before["updated_at"], "the refused second identity changed the registration")


@check(
    "registration.identity.future_birth_date",
    title="A birth date after today is refused as invalid, not left to the age check",
    cites=(GUIDE_STEP_2, "docs/registration.md, step 2: 400 invalid_birth_date (before 1900-01-01, or in the future)"),
    severity=Severity.MINOR,
)
def future_birth_date(ctx: CheckContext) -> None:
    """On the target's date: a birth date two days on (after today in every time zone the target may count in) is
    refused with ``invalid_birth_date``, nothing changes; so is one ten years on."""
    reg = steps.create(ctx)
    today = steps.target_today(ctx, reg)
    for born in (today + timedelta(days=2), today.replace(year=today.year + 10, day=min(today.day, 28))):
        answer = steps.submit_identity(ctx, reg, birth_date=born.isoformat())
        ctx.expect_refusal(answer, 400, "invalid_birth_date", f"the birth date {born}, after {today}")
        ctx.expect(steps.view(ctx, reg)["state"] == "created", f"the refused birth date {born} moved the request on")
