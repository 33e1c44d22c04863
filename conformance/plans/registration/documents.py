"""Step 3, « pièce d'identité recto / verso »: judged by content, in colour, within the size limit, both sides,
MRZ check digits."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.plans.registration import steps
from conformance.registry import check
from conformance.results import Severity

GUIDE_STEP_3 = (
    "Guide, « Veillez charger la photo recto de la pièce d'identité » : « Le document doit être en couleur, au "
    "format .jpg, .jpeg, .png ou .pdf, lisible et contenir l'intégralité de la face présentée »"
)
RULE_3 = "DESIGN.md §2, step 3: JPEG, PNG or PDF judged by content; colour; size limit; front always, back if any"
ICAO = "ICAO Doc 9303 Part 3 §4.9 (check digits) and Part 5 (TD1)"


def _refused_and_unchanged(
    ctx: CheckContext, reg: steps.Registration, answer: object, code: str | tuple[str, ...], what: str
) -> None:
    import requests

    assert isinstance(answer, requests.Response)
    ctx.expect_refusal(answer, 400, code, what)
    state = steps.view(ctx, reg)["state"]
    ctx.expect(state == "identity_submitted", f"after the refusal the registration is {state}")


@check(
    "registration.documents.accepted",
    title="Colour PNG sides with a valid MRZ, and a PDF passport, are accepted",
    cites=(GUIDE_STEP_3, RULE_3, ICAO),
    severity=Severity.MAJOR,
)
def accepted(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "identity_submitted")
    answer = steps.upload(ctx, reg, mrz=steps.td1())
    body = ctx.expect_accepted(answer, rule="an identity card, colour PNG sides and a valid MRZ")
    ctx.expect(body["state"] == "documents_submitted", f"the state is {body['state']}")
    ctx.expect(body["document_type"] == "id_card:fra", f"the document type is {body['document_type']}")
    passport = steps.walk(ctx, "identity_submitted")
    pdf = ("passeport.pdf", steps.minimal_pdf(), "application/pdf")
    answer = steps.upload(ctx, passport, document_type="passport:fra", front=pdf, back=None)
    ctx.expect_accepted(answer, rule="a passport as a one-page PDF")


@check(
    "registration.documents.uploaded_once",
    title="The identity document is uploaded once: a second upload is refused and changes nothing",
    cites=(GUIDE_STEP_3, "DESIGN.md §2: illegal transitions answer 409 with a stable code and change nothing"),
    severity=Severity.MAJOR,
)
def uploaded_once(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "documents_submitted")
    before = steps.view(ctx, reg)
    answer = steps.upload(ctx, reg, document_type="passport:fra", back=None)
    ctx.expect_refusal(answer, 409, "registration_wrong_state", "a second document over the first")
    after = steps.view(ctx, reg)
    ctx.expect(
        (after["document_type"], after["updated_at"]) == (before["document_type"], before["updated_at"]),
        "the refused second upload changed the registration",
    )


@check(
    "registration.documents.judged_by_content",
    title="A document is judged by its content: a text file named .jpg is refused, a PNG named .pdf accepted",
    cites=(GUIDE_STEP_3, RULE_3),
    severity=Severity.MAJOR,
)
def judged_by_content(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "identity_submitted")
    fake = ("recto.jpg", b"This is not a picture of an identity card.\n" * 200, "image/jpeg")
    answer = steps.upload(ctx, reg, front=fake)
    _refused_and_unchanged(ctx, reg, answer, "unsupported_document_format", "a text file named recto.jpg")
    misnamed = ("recto.pdf", steps.colour_png(), "application/pdf")
    ctx.expect_accepted(steps.upload(ctx, reg, front=misnamed), rule="a colour PNG named recto.pdf")


@check(
    "registration.documents.colour_required",
    title="A greyscale picture of the document is refused",
    cites=(GUIDE_STEP_3, RULE_3),
    severity=Severity.MAJOR,
)
def colour_required(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "identity_submitted")
    grey = ("recto.png", steps.grey_png(), "image/png")
    _refused_and_unchanged(ctx, reg, steps.upload(ctx, reg, front=grey), "document_not_in_colour", "a grey front")


@check(
    "registration.documents.size_limit",
    title="A file over the size limit is refused",
    cites=(RULE_3, "Universign REST API v1: uploaded files are limited in size"),
    severity=Severity.MINOR,
)
def size_limit(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "identity_submitted")
    limit = ctx.target.rules.max_document_bytes
    png = steps.colour_png()
    oversize = png + b"\0" * (limit + 1 - len(png))
    answer = steps.upload(ctx, reg, front=("recto.png", oversize, "image/png"))
    if answer.status_code == 413:
        ctx.note("refused by the HTTP layer (413), before the document rules")
        return
    _refused_and_unchanged(ctx, reg, answer, "document_too_large", f"a {limit + 1}-byte front")


@check(
    "registration.documents.back_required",
    title="An identity card without its back side is refused",
    cites=("Guide : « Veillez charger la photo verso de la pièce d'identité »", RULE_3),
    severity=Severity.MAJOR,
)
def back_required(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "identity_submitted")
    _refused_and_unchanged(ctx, reg, steps.upload(ctx, reg, back=None), "document_missing", "an id card front only")


@check(
    "registration.documents.mrz_check_digits",
    title="A machine-readable zone with a wrong check digit is refused",
    cites=(ICAO, RULE_3 + "; MRZ check digits when readable"),
    severity=Severity.MAJOR,
)
def mrz_check_digits(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "identity_submitted")
    lines = steps.td1().split("\n")
    digit = lines[0][14]
    lines[0] = lines[0][:14] + str((int(digit) + 1) % 10) + lines[0][15:]  # the document number's check digit
    answer = steps.upload(ctx, reg, mrz="\n".join(lines))
    _refused_and_unchanged(ctx, reg, answer, "mrz_check_digit", "an MRZ whose document-number check digit is wrong")


@check(
    "registration.documents.document_type",
    title="Only the known document types are accepted (id_card:fra, residence_permit:fra, passport:<country>)",
    cites=("Guide : « Sélectionnez le type de pièce d'identité à vérifier »", RULE_3, "ISO 3166-1 alpha-3"),
    severity=Severity.MINOR,
)
def document_type(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "identity_submitted")
    for kind in ("id_card:xyz", "driving_licence:fra", "passport:zzz"):
        answer = steps.upload(ctx, reg, document_type=kind)
        _refused_and_unchanged(ctx, reg, answer, "invalid_document_type", f"the document type {kind}")
