"""Step 3, « pièce d'identité recto / verso »: judged by content, in colour, within the size limit, both sides,
MRZ check digits."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import requests

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
UNIVERSIGN_DOCUMENTS = "Universign: European identity cards and passports of every country (id-validations API)"


def _refused_and_unchanged(
    ctx: CheckContext, reg: steps.Registration, answer: requests.Response, code: str | tuple[str, ...], what: str
) -> None:
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
    empty = steps.upload(ctx, reg, front=("recto.png", b"", "image/png"))
    _refused_and_unchanged(ctx, reg, empty, ("document_empty", "document_missing"), "an empty front")
    one_byte = steps.upload(ctx, reg, front=("recto.png", b"\x89", "image/png"))
    _refused_and_unchanged(ctx, reg, one_byte, "unsupported_document_format", "a one-byte front")
    misnamed = ("recto.pdf", steps.colour_png(), "application/pdf")
    ctx.expect_accepted(steps.upload(ctx, reg, front=misnamed), rule="a colour PNG named recto.pdf")


@check(
    "registration.documents.truncated_pdf",
    title="A PDF cut short (no %%EOF at its end, only an earlier revision's inside) is refused as unreadable",
    cites=(GUIDE_STEP_3 + " (lisible)", "ISO 32000-1 §7.5.5: the last line of the file contains %%EOF", RULE_3),
    severity=Severity.MINOR,
)
def truncated_pdf(ctx: CheckContext) -> None:
    """A passport as a one-page PDF followed by the start of an incremental update cut off in its stream: 2 KiB of
    it, so that the first revision's ``%%EOF`` is inside the file but not within its last 1024 bytes, where readers
    look for it. Refused (``document_unreadable``), nothing changes; the same PDF without the cut-off update is
    accepted."""
    reg = steps.walk(ctx, "identity_submitted")
    update = b"4 0 obj\n<< /Length 8192 >>\nstream\n" + bytes(range(256)) * 8
    for data, refused in ((steps.minimal_pdf() + update, True), (steps.minimal_pdf(), False)):
        answer = steps.upload(
            ctx, reg, document_type="passport:fra", front=("passeport.pdf", data, "application/pdf"), back=None
        )
        if refused:
            _refused_and_unchanged(ctx, reg, answer, "document_unreadable", "a PDF cut in an incremental update")
    ctx.expect_accepted(answer, rule="the same PDF, whole")


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
    title="A side of exactly the size limit is accepted, one byte more is refused",
    cites=(RULE_3, "Universign REST API v1: uploaded files are limited in size"),
    severity=Severity.MINOR,
)
def size_limit(ctx: CheckContext) -> None:
    """Both sides of ``rules.max_document_bytes``: a colour PNG front of the limit plus one byte is refused
    (``document_too_large``, or 413 from the HTTP layer), then the same picture of exactly the limit is accepted.
    The PNGs are made to size with a private ancillary chunk, which decoders skip."""
    reg = steps.walk(ctx, "identity_submitted")
    limit = ctx.target.rules.max_document_bytes
    answer = steps.upload(ctx, reg, front=("recto.png", steps.colour_png_of_size(limit + 1), "image/png"))
    if answer.status_code == 413:
        ctx.note("the front of the limit plus one byte was refused by the HTTP layer (413), before the document rules")
        ctx.expect(steps.view(ctx, reg)["state"] == "identity_submitted", "the refused upload moved the request on")
    else:
        _refused_and_unchanged(ctx, reg, answer, "document_too_large", f"a {limit + 1}-byte front")
    answer = steps.upload(ctx, reg, front=("recto.png", steps.colour_png_of_size(limit), "image/png"))
    body = ctx.expect_accepted(answer, rule=f"a front of exactly the limit, {limit} bytes")
    ctx.expect(body["state"] == "documents_submitted", f"the accepted upload left the request {body['state']}")


@check(
    "registration.documents.smallest_image",
    title="A picture of exactly the smallest size is accepted either way round, one pixel less on a side refused",
    cites=(GUIDE_STEP_3 + " (« lisible »)", RULE_3, "docs/registration.md, step 3: at least 200 x 120 pixels"),
    severity=Severity.MINOR,
)
def smallest_image(ctx: CheckContext) -> None:
    """Both sides of ``rules.min_image_long_side`` x ``rules.min_image_short_side`` (200 x 120 by default): a colour
    PNG front one pixel short on its long side, one short on its short side, and the same turned upright one short
    on its short side, are each refused (``document_too_small``, nothing changes); then a front of exactly the
    smallest size lying and a back of it upright are accepted."""
    reg = steps.walk(ctx, "identity_submitted")
    long, short = ctx.target.rules.min_image_long_side, ctx.target.rules.min_image_short_side
    for width, height in ((long - 1, short), (long, short - 1), (short - 1, long)):
        front = ("recto.png", steps.colour_png(width, height), "image/png")
        answer = steps.upload(ctx, reg, front=front)
        _refused_and_unchanged(ctx, reg, answer, "document_too_small", f"a {width} x {height} front")
    front = ("recto.png", steps.colour_png(long, short), "image/png")
    back = ("verso.png", steps.colour_png(short, long), "image/png")
    answer = steps.upload(ctx, reg, front=front, back=back)
    body = ctx.expect_accepted(answer, rule=f"a {long} x {short} front and a {short} x {long} back")
    ctx.expect(body["state"] == "documents_submitted", f"the accepted upload left the request {body['state']}")


@check(
    "registration.documents.card_at_600_dpi",
    title="A PNG of an identity card scanned at 600 dpi (2022 x 1276 pixels) is accepted, both sides",
    cites=(
        GUIDE_STEP_3,
        "docs/registration.md, step 3: at most 25 megapixels; an ID-1 card at 600 dpi is 2022 x 1276 pixels",
        "ISO/IEC 7810: the ID-1 format, 85.60 x 53.98 mm",
    ),
    severity=Severity.MINOR,
)
def card_at_600_dpi(ctx: CheckContext) -> None:
    """A scan at 600 dpi keeps the MRZ's characters legible; the provider must judge it whole, not refuse it as too
    large to decode: both sides as 2022 x 1276 colour PNGs (uncompressed, 7.7 MB of pixels) are accepted."""
    reg = steps.walk(ctx, "identity_submitted")
    picture = steps.plain_colour_png(2022, 1276)
    answer = steps.upload(ctx, reg, front=("recto.png", picture, "image/png"), back=("verso.png", picture, "image/png"))
    body = ctx.expect_accepted(answer, rule="both sides of an identity card at 600 dpi, 2022 x 1276 PNGs")
    ctx.expect(body["state"] == "documents_submitted", f"the accepted upload left the request {body['state']}")


@check(
    "registration.documents.every_type",
    title="Every document type is accepted with its sides, and refused without one of them",
    cites=(
        "Guide : « Sélectionnez le type de pièce d'identité » ; photos « recto » et « verso »",
        RULE_3,
        "DESIGN.md §2, step 3: document type (id_card:fra, passport:ISO3, residence_permit:fra…)",
    ),
    severity=Severity.MAJOR,
)
def every_type(ctx: CheckContext) -> None:
    """For each type (``id_card:fra`` and ``residence_permit:fra``: front and back; ``passport:deu``, a passport of
    another country: front only), an upload without its front, then (two-sided types) without its back, is refused
    with ``document_missing`` naming that side, and nothing changes; then each type with its sides is accepted, on a
    registration of its own, and the request names that type."""
    reg = steps.walk(ctx, "identity_submitted")
    for kind, sides in DOCUMENT_SIDES.items():
        back_only = steps.upload(
            ctx, reg, document_type=kind, front=steps.OMIT, back=None if sides == 1 else steps.OMIT
        )
        _missing_side(ctx, reg, back_only, "front", f"{kind} without its front")
        if sides == 2:
            front_only = steps.upload(ctx, reg, document_type=kind, back=None)
            _missing_side(ctx, reg, front_only, "back", f"{kind} without its back")
    for index, (kind, sides) in enumerate(DOCUMENT_SIDES.items()):
        fresh = reg if index == 0 else steps.walk(ctx, "identity_submitted")
        answer = steps.upload(ctx, fresh, document_type=kind, back=None if sides == 1 else steps.OMIT)
        body = ctx.expect_accepted(answer, rule=f"{kind} with its {'front' if sides == 1 else 'front and back'}")
        ctx.expect(body["document_type"] == kind, f"the {kind} is recorded as {body['document_type']}")


#: Each document type tried by ``every_type``, and its number of sides.
DOCUMENT_SIDES = {
    "id_card:fra": 2,
    "residence_permit:fra": 2,
    "driving_licence:fra": 2,
    "id_card:bel": 2,
    "passport:deu": 1,
}


def _missing_side(ctx: CheckContext, reg: steps.Registration, answer: requests.Response, side: str, what: str) -> None:
    _refused_and_unchanged(ctx, reg, answer, "document_missing", what)
    named = [e.get("field") for e in (answer.json().get("errors") or []) if isinstance(e, dict)]
    if not named:
        ctx.warn(f"the refusal of {what} has no errors[] naming the missing side")
    else:
        ctx.expect(side in named, f"the refusal of {what} names {named}, not the {side}")


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
    title="A machine-readable zone with any one wrong check digit is refused",
    cites=(ICAO, RULE_3 + "; MRZ check digits when readable"),
    severity=Severity.MAJOR,
)
def mrz_check_digits(ctx: CheckContext) -> None:
    """Each check digit of an identity card's TD1 MRZ in turn (document number, birth date, expiry date and the
    composite one, ICAO Doc 9303 Part 5 §4.2.2), one digit off: refused with ``mrz_check_digit``, nothing changes."""
    reg = steps.walk(ctx, "identity_submitted")
    for line, column, what in TD1_CHECK_DIGITS:
        lines = steps.td1().split("\n")
        digit = lines[line][column]
        lines[line] = lines[line][:column] + str((int(digit) + 1) % 10) + lines[line][column + 1 :]
        answer = steps.upload(ctx, reg, mrz="\n".join(lines))
        _refused_and_unchanged(ctx, reg, answer, "mrz_check_digit", f"an MRZ whose {what} check digit is wrong")


#: The check digits of a TD1 MRZ: (line, column, what it checks), ICAO Doc 9303 Part 5 §4.2.2.
TD1_CHECK_DIGITS = ((0, 14, "document number"), (1, 6, "birth date"), (1, 14, "expiry date"), (1, 29, "composite"))


@check(
    "registration.documents.document_type",
    title="Only the known document types are accepted (European identity cards, French residence permits and "
    "driving licences, passports of every country)",
    cites=(
        "Guide : « Sélectionnez le type de pièce d'identité à vérifier »",
        RULE_3,
        "ISO 3166-1 alpha-3",
        UNIVERSIGN_DOCUMENTS,
    ),
    severity=Severity.MINOR,
)
def document_type(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "identity_submitted")
    # U+017F, the long s, is not an ISO 3166-1 letter, though it upper-cases to S: "passport:\u017fwe" is no "SWE".
    # UTO (Utopia) is the ICAO 9303 specimen state: printed on sample documents, no ISO 3166-1 country.
    # Identity cards are European (Andorra and the United Kingdom are not in the EU, the EEA or Switzerland);
    # residence permits and driving licences French only: countries sorting before FRA and after it.
    others = (
        "id_card:and",
        "id_card:gbr",
        "residence_permit:bel",
        "residence_permit:ita",
        "driving_licence:bel",
        "driving_licence:ita",
    )
    for kind in ("id_card:xyz", "identity:fra", "passport:zzz", "passport:\u017fwe", "passport:uto", *others):
        back = None if kind.startswith("passport:") else steps.OMIT  # a passport is sent as one, front only
        answer = steps.upload(ctx, reg, document_type=kind, back=back)
        _refused_and_unchanged(ctx, reg, answer, "invalid_document_type", f"the document type {kind}")


@check(
    "registration.documents.european_id_cards",
    title="The identity cards of other European states are accepted, with their own MRZ",
    cites=(UNIVERSIGN_DOCUMENTS, RULE_3, "ICAO Doc 9303 Part 5 (TD1)"),
    severity=Severity.MAJOR,
)
def european_id_cards(ctx: CheckContext) -> None:
    """A Belgian and an Italian identity card (states sorting before and after France), each on a registration of
    its own, with a TD1 MRZ issued by that state: accepted, and the request names the type."""
    for country in ("bel", "ita"):
        reg = steps.walk(ctx, "identity_submitted")
        kind = f"id_card:{country}"
        answer = steps.upload(ctx, reg, document_type=kind, mrz=steps.td1(country=country.upper()))
        body = ctx.expect_accepted(answer, rule=f"a {kind} with its TD1 MRZ")
        ctx.expect(body["document_type"] == kind, f"the {kind} is recorded as {body['document_type']}")


@check(
    "registration.documents.driving_licence",
    title="A French driving licence is accepted with its number, which it must then give (it has no ICAO MRZ)",
    cites=(
        "jesignexpert.com : carte nationale d'identité, passeport ou permis de conduire",
        RULE_3,
        "Directive 2006/126/EC, Annex I: the European driving licence model carries no ICAO MRZ",
    ),
    severity=Severity.MAJOR,
)
def driving_licence(ctx: CheckContext) -> None:
    """A ``driving_licence:fra`` without its number, then with a TD1 MRZ in place of the number: refused
    (``invalid_document_number``, then ``mrz_document_type_mismatch``) and nothing changes; then with its number
    typed: accepted, and the request names the type."""
    reg = steps.walk(ctx, "identity_submitted")
    kind = "driving_licence:fra"
    answer = steps.upload(ctx, reg, document_type=kind, document_number=None)
    _refused_and_unchanged(ctx, reg, answer, "invalid_document_number", "a driving licence without its number")
    answer = steps.upload(ctx, reg, document_type=kind, document_number=None, mrz=steps.td1())
    _refused_and_unchanged(ctx, reg, answer, "mrz_document_type_mismatch", "a driving licence with a TD1 MRZ")
    body = ctx.expect_accepted(steps.upload(ctx, reg, document_type=kind), rule="a driving licence with its number")
    ctx.expect(body["document_type"] == kind, f"the driving licence is recorded as {body['document_type']}")


@check(
    "registration.documents.french_1988_card",
    title="The French identity card of 1988-2021 is accepted while valid (10 years, 15 for adults from 2004 to 2013)",
    cites=(
        "Décret n° 2013-1188: cards issued to adults from 2 January 2004 to 31 December 2013 are valid 15 years",
        RULE_3,
        "the card's MRZ: 2 lines of 36, France's own layout, three check digits",
    ),
    severity=Severity.MAJOR,
)
def french_1988_card(ctx: CheckContext) -> None:
    """The applicant's card of the 1988 model, issued in May 2003 (10 years: expired in 2013), then one issued in
    May 2013 whose last check digit (over both lines) is wrong: refused (``mrz_expired``, ``mrz_check_digit``) and
    nothing changes. Then the card issued in May 2013 (15 years: valid to May 2028), its number not typed:
    accepted."""
    reg = steps.walk(ctx, "identity_submitted")
    today = steps.target_today(ctx, reg)
    expired = steps.fr1988(issued="0305")
    _refused_and_unchanged(ctx, reg, steps.upload(ctx, reg, mrz=expired), "mrz_expired", "a card of 2003")
    lines = steps.fr1988().split("\n")
    wrong = lines[0] + "\n" + lines[1][:35] + str((int(lines[1][35]) + 1) % 10)
    _refused_and_unchanged(ctx, reg, steps.upload(ctx, reg, mrz=wrong), "mrz_check_digit", "a wrong last digit")
    if today > date(2028, 5, 31):
        ctx.skip(f"the target's date {today} is past the card's validity (May 2028)")
    answer = steps.upload(ctx, reg, document_number=None, mrz=steps.fr1988())
    ctx.expect_accepted(answer, rule="a French identity card of May 2013, valid 15 years")


@check(
    "registration.documents.mrz_read_from_file",
    title="An MRZ carried as text by an uploaded side is read and checked: neither it nor the number is typed",
    cites=(
        "Guide : « Nos services vérifient la validité de votre pièce » (the photo, not a typed number)",
        RULE_3,
        "PNG (ISO/IEC 15948) tEXt chunk; the mock reads text where the real service runs OCR",
    ),
    severity=Severity.MINOR,
)
def mrz_read_from_file(ctx: CheckContext) -> None:
    """A back whose PNG carries the applicant's TD1 MRZ in a ``tEXt`` chunk with its expiry check digit off, and
    nothing typed: refused (``mrz_check_digit``: the MRZ was read and checked) and nothing changes; then the same
    back with the right MRZ, nothing typed: accepted."""
    reg = steps.walk(ctx, "identity_submitted")
    lines = steps.td1().split("\n")
    lines[1] = lines[1][:14] + str((int(lines[1][14]) + 1) % 10) + lines[1][15:]
    for mrz, accepted in (("\n".join(lines), False), (steps.td1(), True)):
        back = ("verso.png", steps.png_with_text(steps.colour_png(), "MRZ", mrz), "image/png")
        answer = steps.upload(ctx, reg, document_number=None, back=back)
        if accepted:
            ctx.expect_accepted(answer, rule="a back carrying the right MRZ as text, nothing typed")
        else:
            _refused_and_unchanged(ctx, reg, answer, "mrz_check_digit", "a back carrying a wrong MRZ as text")


ICAO_CHARSET = "ICAO Doc 9303 Part 3: an MRZ is written with A-Z, 0-9 and the filler < only (OCR-B subset)"


@check(
    "registration.documents.mrz_charset",
    title="An MRZ with a character other than A-Z, 0-9 and < is refused",
    cites=(ICAO_CHARSET, RULE_3 + "; MRZ structure"),
    severity=Severity.MINOR,
)
def mrz_charset(ctx: CheckContext) -> None:
    """The applicant's TD1 MRZ with one filler ``<`` written ``-`` (line 1, optional data) and, on its own, one
    written ``.`` (line 2, optional data): each refused (``mrz_malformed``) and nothing changes; every check digit
    stays right (a filler counts 0 in them, as the client computes them); then a ``7`` as the name field's last
    filler, and the name field shifted behind a leading filler (ICAO 9303-3 §4.6: letters and fillers, the surname
    first). Each refused (``mrz_malformed``) and nothing changes. Then the MRZ with its fillers accepted."""
    reg = steps.walk(ctx, "identity_submitted")
    first, second, third = steps.td1().split("\n")
    for mrz, what in (
        (f"{first[:29]}-\n{second}\n{third}", "a '-' in line 1"),
        (f"{first}\n{second[:28]}.{second[29]}\n{third}", "a '.' in line 2"),
        # ICAO 9303-3 §4.6: the name field holds letters and fillers only, the primary identifier first.
        (f"{first}\n{second}\n{third[:29]}7", "a digit in the name field"),
        (f"{first}\n{second}\n<{third[:29]}", "a filler before the surname"),
    ):
        _refused_and_unchanged(ctx, reg, steps.upload(ctx, reg, mrz=mrz), "mrz_malformed", f"an MRZ with {what}")
    body = ctx.expect_accepted(steps.upload(ctx, reg, mrz=steps.td1()), rule="the same MRZ with its fillers")
    ctx.expect(body["state"] == "documents_submitted", f"the accepted upload left the request {body['state']}")


ICAO_TD3 = "ICAO Doc 9303 Part 4 §4.2.2 (TD3: the passport's data page) and Part 3 §4.9 (check digits)"


@check(
    "registration.documents.passport_mrz",
    title="A passport's machine-readable zone (TD3) is read: valid accepted, any one wrong check digit refused",
    cites=(ICAO_TD3, RULE_3 + "; MRZ check digits when readable"),
    severity=Severity.MAJOR,
)
def passport_mrz(ctx: CheckContext) -> None:
    """A French passport (``passport:fra``, front only) with a TD3 MRZ carrying a personal number: each of its five
    check digits in turn (document number, birth date, expiry date, personal number, composite), one digit off, is
    refused with ``mrz_check_digit`` and nothing changes; then the MRZ with every digit right is accepted."""
    reg = steps.walk(ctx, "identity_submitted")
    for column, what in TD3_CHECK_DIGITS:
        first, second = steps.td3().split("\n")
        second = second[:column] + str((int(second[column]) + 1) % 10) + second[column + 1 :]
        answer = steps.upload(ctx, reg, document_type="passport:fra", back=None, mrz=f"{first}\n{second}")
        _refused_and_unchanged(ctx, reg, answer, "mrz_check_digit", f"a TD3 MRZ whose {what} check digit is wrong")
    answer = steps.upload(ctx, reg, document_type="passport:fra", back=None, mrz=steps.td3())
    body = ctx.expect_accepted(answer, rule="a passport with a valid TD3 MRZ")
    ctx.expect(body["state"] == "documents_submitted", f"the accepted upload left the request {body['state']}")


@check(
    "registration.documents.empty_personal_number",
    title="A passport whose unused personal number has a filler as its check digit is accepted; a wrong digit not",
    cites=(ICAO_TD3, "ICAO Doc 9303 Part 4 §4.2.2: an unused personal number's check digit may be < (or 0)"),
    severity=Severity.MINOR,
)
def empty_personal_number(ctx: CheckContext) -> None:
    """A French passport with a TD3 MRZ whose personal number field is all fillers: with ``1`` as its check digit
    (the composite computed over it) refused (``mrz_check_digit``), nothing changes; with ``<`` accepted."""
    reg = steps.walk(ctx, "identity_submitted")
    first, second = steps.td3(personal="").split("\n")
    for digit in ("1", "<"):
        head = second[:42] + digit
        mrz = f"{first}\n{head}{steps.mrz_check_digit(head[0:10] + head[13:20] + head[21:43])}"
        answer = steps.upload(ctx, reg, document_type="passport:fra", back=None, mrz=mrz)
        if digit == "1":
            _refused_and_unchanged(ctx, reg, answer, "mrz_check_digit", "an empty personal number with digit 1")
    body = ctx.expect_accepted(answer, rule="an empty personal number with a filler < as its check digit")
    ctx.expect(body["state"] == "documents_submitted", f"the accepted upload left the request {body['state']}")


@check(
    "registration.documents.mrz_issuing_state",
    title="A passport's MRZ must be issued by the country of its type: another state, before or after it, refused",
    cites=(ICAO_TD3, RULE_3 + "; the document is of the type and country chosen"),
    severity=Severity.MAJOR,
)
def mrz_issuing_state(ctx: CheckContext) -> None:
    """``passport:fra`` with the applicant's TD3 MRZ issued (line 1) by ``DEU``, then by ``GBR`` (one sorting
    before FRA, one after): each refused (``mrz_document_type_mismatch``), nothing changes; issued by ``FRA``
    accepted."""
    reg = steps.walk(ctx, "identity_submitted")
    first, second = steps.td3().split("\n")
    for state in ("DEU", "GBR"):
        mrz = f"{first[:2]}{state}{first[5:]}\n{second}"
        answer = steps.upload(ctx, reg, document_type="passport:fra", back=None, mrz=mrz)
        _refused_and_unchanged(ctx, reg, answer, "mrz_document_type_mismatch", f"passport:fra issued by {state}")
    answer = steps.upload(ctx, reg, document_type="passport:fra", back=None, mrz=steps.td3())
    body = ctx.expect_accepted(answer, rule="passport:fra issued by FRA")
    ctx.expect(body["state"] == "documents_submitted", f"the accepted upload left the request {body['state']}")


@check(
    "registration.documents.mrz_document_code",
    title="An MRZ's document code must fit the type chosen: an identity card's, a residence permit's, a passport's",
    cites=(
        ICAO,
        ICAO_TD3,
        "ICAO Doc 9303 Part 5 §4.2.2: a TD1 document code starts with A, C or I; Part 4: P for a passport",
        RULE_3 + "; the document is of the type chosen",
    ),
    severity=Severity.MAJOR,
)
def mrz_document_code(ctx: CheckContext) -> None:
    """``id_card:fra`` with the applicant's TD1 MRZ coded ``IR`` (a residence permit), then ``AC`` (a crew
    member certificate); ``residence_permit:fra`` with it coded ``P<``; ``passport:fra`` with the applicant's TD3
    coded ``ID``: each refused (``mrz_document_type_mismatch``), nothing changes. Then, each on a registration of its
    own, the identity card coded ``ID`` and the residence permit coded ``IR`` are accepted."""
    reg = steps.walk(ctx, "identity_submitted")
    tried = (
        ("id_card:fra", steps.td1(code="IR"), "an identity card coded IR (a residence permit's code)"),
        ("id_card:fra", steps.td1(code="AC"), "an identity card coded AC (a crew member certificate's code)"),
        ("residence_permit:fra", steps.td1(code="P<"), "a residence permit coded P< (a passport's code)"),
        ("passport:fra", steps.td3(code="ID"), "a passport coded ID (an identity card's code)"),
    )
    for document_type, mrz, what in tried:
        back = None if document_type.startswith("passport:") else steps.OMIT
        answer = steps.upload(ctx, reg, document_type=document_type, back=back, mrz=mrz)
        _refused_and_unchanged(ctx, reg, answer, "mrz_document_type_mismatch", what)
    for document_type, code in (("id_card:fra", "ID"), ("residence_permit:fra", "IR")):
        fresh = reg if document_type == "id_card:fra" else steps.walk(ctx, "identity_submitted")
        answer = steps.upload(ctx, fresh, document_type=document_type, mrz=steps.td1(code=code))
        body = ctx.expect_accepted(answer, rule=f"{document_type} with a TD1 MRZ coded {code}")
        ctx.expect(body["state"] == "documents_submitted", f"the accepted upload left the request {body['state']}")


@check(
    "registration.documents.mrz_birth_century",
    title="An MRZ's two-digit birth year is read in the right century: an applicant born in the 2000s or in the 1900s",
    cites=(
        ICAO,
        "ICAO Doc 9303 Part 3: MRZ dates as YYMMDD, the century left to the reader",
        "DESIGN.md §2, step 3: the document matches the identity given at step 2",
    ),
    severity=Severity.MAJOR,
)
def mrz_birth_century(ctx: CheckContext) -> None:
    """An applicant born on 5 April 2003 (identity given at step 2) with an identity card whose MRZ says ``030405``
    is accepted (2003: 1903 would not be this person); so is an applicant born in the 1900s on a day whose year
    ``YY`` read in the 2000s would be after the target's date (the first of the second month after today, a
    hundred years ago): the latest year not in the future is the only reading."""
    for born in (date(2003, 4, 5), None):
        reg = steps.create(ctx)
        if born is None:
            today = datetime.fromisoformat(steps.view(ctx, reg)["created_at"]).date()  # a month's margin either way
            month = (today.replace(day=1) + timedelta(days=62)).replace(day=1)
            born = month.replace(year=month.year - 100)
        ctx.expect_status(
            steps.submit_identity(ctx, reg, birth_date=born.isoformat()), 200, what=f"the identity, born {born}"
        )
        answer = steps.upload(ctx, reg, mrz=steps.td1(birth=born))
        body = ctx.expect_accepted(answer, rule=f"an applicant born {born} with an MRZ saying {born:%y%m%d}")
        ctx.expect(body["state"] == "documents_submitted", f"the accepted upload left the request {body['state']}")


#: The check digits of a TD3 MRZ's second line: (column, what it checks), ICAO Doc 9303 Part 4 §4.2.2.
TD3_CHECK_DIGITS = (
    (9, "document number"),
    (19, "birth date"),
    (27, "expiry date"),
    (42, "personal number"),
    (43, "composite"),
)


@check(
    "registration.documents.long_document_number",
    title="An identity card whose document number is longer than 9 characters (TD1) is read whole",
    cites=("ICAO Doc 9303 Part 5 §4.2.2, note j: a document number over 9 characters", RULE_3),
    severity=Severity.MINOR,
)
def long_document_number(ctx: CheckContext) -> None:
    """A TD1 MRZ with a 12-character document number (9 in its field, a filler as its check digit, the last 3 and
    the check digit of all 12 in the optional data): with that check digit one off it is refused
    (``mrz_check_digit``), with the typed number cut to its first 9 characters refused
    (``mrz_document_number_mismatch``), and with the right check digit and the whole number typed accepted. The
    other side, first, on a registration of its own: a 9-character number with its check digit, followed by
    optional data (``AB12<<…``), is read as those 9 characters (only a filler in the check digit's place says
    the number goes on): accepted with the 9 characters typed."""
    plain = steps.walk(ctx, "identity_submitted")
    answer = steps.upload(ctx, plain, mrz=steps.td1(optional="AB12"))
    body = ctx.expect_accepted(answer, rule="a 9-character number followed by optional data, the 9 typed")
    ctx.expect(body["state"] == "documents_submitted", f"the accepted upload left the request {body['state']}")
    reg = steps.walk(ctx, "identity_submitted")
    number = steps.DOCUMENT_NUMBER + "C42"  # a letter first: the optional data then starts with neither < nor a digit
    mrz = steps.td1_long_number(number)
    first, *rest = mrz.split("\n")
    column = 5 + len(number) + 1  # the number's 9 characters, the filler, the other 3, then its check digit
    wrong = first[:column] + str((int(first[column]) + 1) % 10) + first[column + 1 :]
    answer = steps.upload(ctx, reg, document_number=number, mrz="\n".join((wrong, *rest)))
    _refused_and_unchanged(ctx, reg, answer, "mrz_check_digit", "a long document number with a wrong check digit")
    answer = steps.upload(ctx, reg, document_number=number[:9], mrz=mrz)
    _refused_and_unchanged(
        ctx, reg, answer, "mrz_document_number_mismatch", "a typed number of 9 characters where the MRZ has 12"
    )
    body = ctx.expect_accepted(steps.upload(ctx, reg, document_number=number, mrz=mrz), rule="a 12-character number")
    ctx.expect(body["state"] == "documents_submitted", f"the accepted upload left the request {body['state']}")


@check(
    "registration.documents.mrz_expiry",
    title="A document is accepted on its expiry day and refused the day after, read from its MRZ (TD1 and TD3)",
    cites=(ICAO, ICAO_TD3, "DESIGN.md §2, step 3: a valid identity document"),
    severity=Severity.MAJOR,
)
def mrz_expiry(ctx: CheckContext) -> None:
    """On the target's date: an identity card (TD1) and a passport (TD3) whose MRZ expiry date is yesterday are
    refused (``mrz_expired``, nothing changes); the same documents expiring today are accepted."""
    for document_type, make in (("id_card:fra", steps.td1), ("passport:fra", steps.td3)):
        reg = steps.walk(ctx, "identity_submitted")
        today = steps.target_today(ctx, reg)
        back = steps.OMIT if document_type == "id_card:fra" else None
        yesterday = today - timedelta(days=1)
        answer = steps.upload(ctx, reg, document_type=document_type, back=back, mrz=make(expiry=yesterday))
        _refused_and_unchanged(ctx, reg, answer, "mrz_expired", f"a {document_type} that expired on {yesterday}")
        answer = steps.upload(ctx, reg, document_type=document_type, back=back, mrz=make(expiry=today))
        ctx.expect_accepted(answer, rule=f"a {document_type} expiring today, {today}")


@check(
    "registration.documents.mrz_matches_identity",
    title="The MRZ must be the applicant's: another birth date, another surname or another typed number is refused",
    cites=(ICAO, "DESIGN.md §2, step 3: the document matches the identity given at step 2"),
    severity=Severity.MAJOR,
)
def mrz_matches_identity(ctx: CheckContext) -> None:
    """An identity card whose MRZ (all check digits right) gives the applicant's birth date plus one day is refused
    (``mrz_birth_date_mismatch``); one with another surname (``mrz_name_mismatch``); the applicant's MRZ with another
    typed document number (``mrz_document_number_mismatch``); one whose name field is full (so possibly truncated,
    ICAO Doc 9303 Part 3 §4.6) with the applicant's surname but only other given names (``mrz_name_mismatch``).
    Each changes nothing."""
    reg = steps.walk(ctx, "identity_submitted")
    born = date.fromisoformat(steps.BIRTH_DATE)
    tried = (
        (steps.td1(birth=born + timedelta(days=1)), steps.DOCUMENT_NUMBER, "mrz_birth_date_mismatch", "birth date"),
        (steps.td1(surname="DURAND"), steps.DOCUMENT_NUMBER, "mrz_name_mismatch", "surname"),
        (steps.td1(), "Y5SUCQGX5", "mrz_document_number_mismatch", "typed document number"),
        # A full name field (ICAO may have cut it) whose given names are all others: not the applicant's either.
        (steps.td1(given="ANNELISE<CLAIRE<SOPHIE"), steps.DOCUMENT_NUMBER, "mrz_name_mismatch", "given name"),
    )
    for mrz, number, code, what in tried:
        answer = steps.upload(ctx, reg, document_number=number, mrz=mrz)
        _refused_and_unchanged(ctx, reg, answer, code, f"an MRZ with another {what}")
