"""Identity prevalidation (Universign's ``POST /v1/id-validations``): a document judged apart from any registration,
against the holder the operator names; 4 MB per side."""

from __future__ import annotations

from datetime import date
from typing import Any

import requests

from conformance.context import CheckContext
from conformance.plans.registration import steps
from conformance.registry import check
from conformance.results import Severity

UNIVERSIGN_PREVALIDATION = (
    "Universign, identity prevalidation: data is extracted from the identity document and then matched with the "
    "data expected on your side (POST /v1/id-validations: document, document_type, email, full_name, birthdate)"
)
UNIVERSIGN_SIZE = "Universign, identity prevalidation: the file must not exceed 4MB (4MB max per side)"
MIB = 1024 * 1024


def _send(
    ctx: CheckContext, *, back: bytes, full_name: str = "Marie DUPONT", birthdate: str = "1980-04-12", **extra: Any
) -> requests.Response:
    files = [("document", ("recto.png", extra.pop("front", steps.colour_png()), "image/png"))]
    files.append(("document", ("verso.png", back, "image/png")))
    data = {
        "document_type": "id_card:fra",
        "email": "marie.dupont@example.com",
        "full_name": full_name,
        "birthdate": birthdate,
    }
    return ctx.http.post("trust", "/id-validations", data=data, files=files, auth=steps.operator_auth(ctx))


def _back(mrz: str) -> bytes:
    return steps.png_with_text(steps.colour_png(), "MRZ", mrz)


def _state(ctx: CheckContext, answer: requests.Response, what: str) -> str:
    body = ctx.expect_accepted(answer, 201, rule=what)
    ctx.expect(isinstance(body, dict) and body.get("state") in ("valid", "invalid"), f"{what}: no state in {body}")
    return str(body["state"])


@check(
    "registration.id_validations.holder_matched",
    title="A prevalidated document is valid for its holder only: another name or birth date makes it invalid",
    cites=(UNIVERSIGN_PREVALIDATION, "ICAO Doc 9303 Part 3 (names, birth date in the MRZ)"),
    severity=Severity.MAJOR,
)
def holder_matched(ctx: CheckContext) -> None:
    """Marie Dupont's identity card (her TD1 MRZ carried as text by the back) sent for Marie Dupont, born on 12 April
    1980, in either order of her names: valid, with the document number read; the same card for Jean Martin, for
    Marie Durand, and for Marie Dupont born a day later: each invalid, with the reason's code."""
    back = _back(steps.td1())
    for full_name in ("Marie DUPONT", "DUPONT Marie"):
        answer = _send(ctx, back=back, full_name=full_name)
        ctx.expect(_state(ctx, answer, f"her own card, for {full_name}") == "valid", f"her card for {full_name}")
        number = answer.json().get("document_number")
        ctx.expect(number == steps.DOCUMENT_NUMBER, f"the document number read is {number!r}")
    for full_name, birthdate, code in (
        ("Jean MARTIN", "1980-04-12", "mrz_name_mismatch"),
        ("Marie DURAND", "1980-04-12", "mrz_name_mismatch"),
        ("Marie DUPONT", date(1980, 4, 13).isoformat(), "mrz_birth_date_mismatch"),
    ):
        answer = _send(ctx, back=back, full_name=full_name, birthdate=birthdate)
        what = f"Marie Dupont's card for {full_name}, born {birthdate}"
        ctx.expect(_state(ctx, answer, what) == "invalid", f"{what}: valid")
        reason = answer.json().get("reason") or {}
        ctx.expect(reason.get("code") == code, f"{what}: the reason is {reason}, not {code}")


@check(
    "registration.id_validations.side_limit",
    title="A side of exactly 4 MiB is judged; one byte more refuses the request",
    cites=(UNIVERSIGN_SIZE,),
    severity=Severity.MINOR,
)
def side_limit(ctx: CheckContext) -> None:
    """The card's front padded to exactly 4 MiB: judged (201, valid); padded to 4 MiB and one byte: refused (400
    ``invalid_id_validation``, the field ``document``)."""
    back = _back(steps.td1())
    at_limit = _send(ctx, back=back, front=steps.colour_png_of_size(4 * MIB))
    ctx.expect(_state(ctx, at_limit, "a front of exactly 4 MiB") == "valid", "a front of exactly 4 MiB: invalid")
    over = _send(ctx, back=back, front=steps.colour_png_of_size(4 * MIB + 1))
    problem = ctx.expect_refusal(over, 400, "invalid_id_validation", "a front of 4 MiB and one byte")
    fields = [e.get("field") for e in problem.get("errors", [])]
    ctx.expect(fields == ["document"], f"the refusal names {fields}, not the document")
