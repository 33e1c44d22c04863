"""Step 2, « création du certificat : identité »: birth date and both consents mandatory, adults only."""

from __future__ import annotations

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
