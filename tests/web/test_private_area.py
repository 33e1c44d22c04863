"""The private area without a browser (Flask's test client): the account, the certificate's revocation, error report
and new request, the delegations, signing and sealing PDFs (validated with pyHanko), and each refusal's code."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from mock_provider.core.storage import Base
from mock_provider.web import signing_pages
from tests.helpers.mock import AppPool
from tests.helpers.screens import (
    BASE,
    Browser,
    codes,
    otp,
    pdf_form,
    post_files,
    registered,
    text,
    unlabelled,
    validate,
)

MARIE, LUC, CHLOE = "usr_marie_dupont", "usr_luc_martin", "usr_chloe_bernard"
MARIE_MOBILE = "+33612345678"
DELEGATIONS = "/platform/espace-prive/delegations"


@pytest.fixture
def web_app(app_pool: AppPool, clock: ManualClock) -> Flask:
    return app_pool.app(public_base_url=BASE)


# -- the account ---------------------------------------------------------------------------------------------------


def test_a_second_login_lands_in_the_private_area(web_app: Flask) -> None:
    browser = registered(web_app)
    account = browser.get("/platform/registration", follow_redirects=True)
    assert account.request.path == "/platform/espace-prive"
    page = text(account)
    assert "Mon compte" in page
    assert "Dupont" in page
    assert 'data-status="valid"' in page
    assert "Signaler une erreur" in page  # within the 48 hours
    assert "Expert-comptable" in page
    assert "ouvert" in page


def test_the_private_area_needs_a_login_and_a_finished_registration(web_app: Flask) -> None:
    browser = Browser(web_app)
    for path in ("/platform/espace-prive", "/platform/espace-prive/delegations", "/platform/espace-prive/signature"):
        answer = browser.get(path)
        assert (answer.status_code, answer.location.endswith("/platform/login")) == (303, True), path
    browser.login("chloe.bernard")  # logged in, not registered
    assert browser.get("/platform/espace-prive").location.endswith("/platform/registration")


def test_revocation_needs_the_sms_code_then_offers_a_new_request(web_app: Flask) -> None:
    browser = registered(web_app)
    browser.get("/platform/espace-prive")
    sent = browser.post("/platform/espace-prive/certificat/code-revocation")
    assert sent.status_code == 200
    assert "Un code vous a été envoyé par SMS au 5678" in text(sent)
    wrong = browser.post("/platform/espace-prive/certificat/revocation", {"otp": "000000", "reason": "key_compromise"})
    assert wrong.status_code == 400
    assert codes(wrong)[0] == "otp_invalid"
    bad_reason = browser.post("/platform/espace-prive/certificat/revocation", {"otp": otp(web_app), "reason": "x"})
    assert codes(bad_reason)[0] == "invalid_revocation_reason"
    assert services_of(web_app).registrations.current_certificate(MARIE)["status"] == "valid"
    done = browser.post(
        "/platform/espace-prive/certificat/revocation", {"otp": otp(web_app), "reason": "key_compromise"}
    )
    assert done.status_code == 200, text(done)
    assert 'data-status="revoked"' in text(done)
    assert "Demander un nouveau certificat" in text(done)
    assert services_of(web_app).registrations.status(MARIE)["state"] == "certificate_revoked"
    again = browser.post("/platform/espace-prive/certificat/code-revocation")
    assert codes(again) == ["certificate_revoked"]
    renewal = browser.post("/platform/espace-prive/certificat/nouvelle-demande", follow_redirects=True)
    assert renewal.request.path.startswith("/trust/enroll/reg_")


def test_an_error_report_reissues_the_certificate_and_needs_a_detail(web_app: Flask) -> None:
    browser = registered(web_app)
    browser.get("/platform/espace-prive")
    before = services_of(web_app).registrations.current_certificate(MARIE)
    empty = browser.post("/platform/espace-prive/certificat/erreur", {"detail": "  "})
    assert empty.status_code == 400
    assert codes(empty)[0] == "error_report_incomplete"
    done = browser.post("/platform/espace-prive/certificat/erreur", {"detail": "Mon prénom est mal orthographié"})
    assert done.status_code == 200
    assert "un nouveau certificat vous a été émis" in text(done)
    after = services_of(web_app).registrations.current_certificate(MARIE)
    assert after["serial_number"] != before["serial_number"]
    assert after["status"] == "valid"


def test_the_error_report_closes_after_48_hours(web_app: Flask, clock: ManualClock) -> None:
    browser = registered(web_app)
    clock.advance(timedelta(hours=49))
    page = browser.get("/platform/espace-prive")
    assert "Signaler une erreur" not in text(page)
    late = browser.post("/platform/espace-prive/certificat/erreur", {"detail": "trop tard"})
    assert late.status_code == 409
    assert codes(late)[0] == "error_report_window_closed"


# -- the delegations -------------------------------------------------------------------------------------------------


def test_delegations_granted_and_withdrawn(web_app: Flask) -> None:
    browser = registered(web_app)
    page = browser.get("/platform/espace-prive/delegations")
    assert page.status_code == 200
    assert "Luc Martin" in text(page)
    assert "Chloé Bernard" in text(page)
    granted = browser.post("/platform/espace-prive/delegations/frm_ecma", {"collaborator": CHLOE, "kind": "seal"})
    assert granted.status_code == 200
    assert "La délégation est accordée." in text(granted)
    held = services_of(web_app).registrations.list_delegations(MARIE, "frm_ecma")
    chloe = [d for d in held if d["user_id"] == CHLOE]
    assert [d["kind"] for d in chloe] == ["seal"]
    twice = browser.post("/platform/espace-prive/delegations/frm_ecma", {"collaborator": CHLOE, "kind": "seal"})
    assert twice.status_code == 409
    assert codes(twice) == ["delegation_exists"]
    withdrawn = browser.post(f"/platform/espace-prive/delegations/frm_ecma/{chloe[0]['id']}/retrait")
    assert withdrawn.status_code == 200
    assert "La délégation est retirée." in text(withdrawn)
    assert all(d["user_id"] != CHLOE for d in services_of(web_app).registrations.list_delegations(MARIE, "frm_ecma"))


@pytest.mark.parametrize(
    ("path", "form", "status", "code"),
    [
        (f"{DELEGATIONS}/frm_ecma", {"collaborator": CHLOE, "kind": "admin"}, 400, "invalid_delegation_kind"),
        (f"{DELEGATIONS}/frm_ecma", {"collaborator": "usr_nope", "kind": "sign"}, 404, "collaborator_not_found"),
        (f"{DELEGATIONS}/frm_other", {"collaborator": CHLOE, "kind": "sign"}, 404, "firm_not_found"),
        (f"{DELEGATIONS}/frm_ecma/dlg_nope/retrait", {}, 404, "delegation_not_found"),
    ],
)  # fmt: skip
def test_delegation_refusals_carry_their_codes(
    web_app: Flask, path: str, form: dict[str, str], status: int, code: str
) -> None:
    browser = registered(web_app)
    browser.get("/platform/espace-prive/delegations")
    answer = browser.post(path, form)
    assert (answer.status_code, codes(answer)[:1]) == (status, [code])


def test_a_collaborator_sees_no_delegation_screen_and_may_manage_none(web_app: Flask) -> None:
    browser = registered(web_app, "luc.martin", "0698765432")
    account = browser.get("/platform/espace-prive")
    assert account.status_code == 200
    assert "Délégations</a>" not in text(account)
    refused = browser.post("/platform/espace-prive/delegations/frm_ecma", {"collaborator": CHLOE, "kind": "sign"})
    assert refused.status_code == 403
    assert codes(refused) == ["not_firm_accountant"]


# -- signing and sealing -------------------------------------------------------------------------------------------


def test_sign_with_the_sms_code_and_download_the_signed_pdf(web_app: Flask) -> None:
    browser = registered(web_app)
    first = browser.get("/platform/espace-prive/signature")
    assert "Recevoir le code" in text(first)
    assert 'name="otp"' not in text(first)
    sent = browser.post("/platform/espace-prive/signature/code")
    assert sent.status_code == 200
    assert "Un code vous a été envoyé par SMS au 5678" in text(sent)
    signed = post_files(browser, "/platform/espace-prive/signature", pdf_form("lettre.pdf", otp=otp(web_app)))
    assert signed.status_code == 200, text(signed)
    assert signed.mimetype == "application/pdf"
    assert signed.headers["Content-Disposition"] == 'attachment; filename="lettre-signe.pdf"'
    status, signer = validate(web_app, signed.get_data())
    assert (status.intact, status.valid, status.trusted) == (True, True, True), status.pretty_print_details()
    assert signer == "Marie Dupont"
    assert status.timestamp_validity is not None


def test_a_wrong_code_is_refused_once_and_the_same_code_still_signs(web_app: Flask) -> None:
    browser = registered(web_app)
    browser.get("/platform/espace-prive/signature")
    browser.post("/platform/espace-prive/signature/code")
    code = otp(web_app)
    wrong = post_files(browser, "/platform/espace-prive/signature", pdf_form("a.pdf", otp="000000"))
    assert wrong.status_code == 400
    assert codes(wrong) == ["otp_invalid"]
    assert "Le code saisi est incorrect" in text(wrong)
    malformed = post_files(browser, "/platform/espace-prive/signature", pdf_form("a.pdf", otp="12"))
    assert codes(malformed) == ["otp_malformed"]
    no_file = browser.post("/platform/espace-prive/signature", {"otp": code})
    assert no_file.status_code == 400
    assert codes(no_file) == ["document_required"]
    not_pdf = post_files(
        browser, "/platform/espace-prive/signature", {"documents": [(io.BytesIO(b"hello"), "a.pdf")], "otp": code}
    )
    assert not_pdf.status_code == 400
    assert codes(not_pdf) == ["not_a_pdf"]
    two = post_files(browser, "/platform/espace-prive/signature", pdf_form("a.pdf", "b.pdf", otp=code))
    assert (two.status_code, two.mimetype) == (200, "application/zip"), text(two)
    with zipfile.ZipFile(io.BytesIO(two.get_data())) as archive:
        assert archive.namelist() == ["a-signe.pdf", "b-signe.pdf"]
        for name in archive.namelist():
            assert validate(web_app, archive.read(name))[0].valid


def test_seal_with_the_firms_seal_without_a_code(web_app: Flask) -> None:
    browser = registered(web_app)
    page = browser.get("/platform/espace-prive/signature")
    assert "Sceller avec le cachet du cabinet" in text(page)
    sealed = post_files(browser, "/platform/espace-prive/signature/cachet", pdf_form("facture.pdf", firm="frm_ecma"))
    assert sealed.status_code == 200, text(sealed)
    status, signer = validate(web_app, sealed.get_data())
    assert (status.intact, status.valid, status.trusted) == (True, True, True), status.pretty_print_details()
    assert "ECMA" in signer.upper()
    nobody = post_files(browser, "/platform/espace-prive/signature/cachet", pdf_form("f.pdf", firm="frm_other"))
    assert nobody.status_code in (403, 404)
    assert codes(nobody)


def test_a_collaborator_without_seal_delegation_may_not_seal_and_sees_no_seal_form(web_app: Flask) -> None:
    browser = registered(web_app, "luc.martin", "0698765432")
    page = browser.get("/platform/espace-prive/signature")
    assert "Sceller avec le cachet du cabinet" not in text(page)
    refused = post_files(browser, "/platform/espace-prive/signature/cachet", pdf_form("f.pdf", firm="frm_ecma"))
    assert refused.status_code == 403
    assert codes(refused) == ["seal_delegation_required"]


def test_a_withdrawn_sign_delegation_stops_signing_at_once(web_app: Flask) -> None:
    registered(web_app)  # Marie, the accountant, opens frm_ecma
    luc = registered(web_app, "luc.martin", "0698765432")
    luc.get("/platform/espace-prive/signature")
    sign = next(
        d
        for d in services_of(web_app).registrations.list_delegations(MARIE, "frm_ecma")
        if d["user_id"] == LUC and d["kind"] == "sign"
    )
    services_of(web_app).registrations.revoke_delegation(MARIE, "frm_ecma", sign["id"])
    refused = luc.post("/platform/espace-prive/signature/code")
    assert (refused.status_code, codes(refused)) == (403, ["sign_delegation_required"]), text(refused)


def test_a_new_request_refused_is_shown_on_the_account(web_app: Flask) -> None:
    """Luc revokes his certificate, then loses his sign delegation: the new request is refused, with its code."""
    registered(web_app)
    luc = registered(web_app, "luc.martin", "0698765432")
    luc.get("/platform/espace-prive")
    luc.post("/platform/espace-prive/certificat/code-revocation")
    revoked = luc.post(
        "/platform/espace-prive/certificat/revocation", {"otp": otp(web_app, "+33698765432"), "reason": "superseded"}
    )
    assert 'data-status="revoked"' in text(revoked)
    sign = next(
        d
        for d in services_of(web_app).registrations.list_delegations(MARIE, "frm_ecma")
        if d["user_id"] == LUC and d["kind"] == "sign"
    )
    services_of(web_app).registrations.revoke_delegation(MARIE, "frm_ecma", sign["id"])
    refused = luc.post("/platform/espace-prive/certificat/nouvelle-demande")
    assert (refused.status_code, codes(refused)) == (403, ["sign_delegation_required"])


def test_an_expired_access_token_sends_the_person_to_log_in_again(web_app: Flask) -> None:
    browser = registered(web_app)
    browser.get("/platform/espace-prive/signature")
    with browser.client.session_transaction(base_url=BASE) as session:
        session["platform_access_token"] = {**session["platform_access_token"], "expires_at": 0}
    answer = browser.post("/platform/espace-prive/signature/code")
    assert answer.status_code == 303
    assert "/platform/login" in answer.location


def test_every_private_area_form_refuses_junk_without_a_server_error(web_app: Flask) -> None:
    browser = registered(web_app)
    browser.get("/platform/espace-prive")
    posts = sorted(
        rule.rule
        for rule in web_app.url_map.iter_rules()
        if "POST" in (rule.methods or ()) and rule.endpoint.split(".")[0] in ("private_area", "signing_pages")
    )
    assert len(posts) == 9
    junk = {"otp": "abcdef", "reason": "<script>", "detail": "", "collaborator": "", "kind": "x", "firm": "frm_nope"}
    for rule in posts:
        url = rule.replace("<firm_id>", "frm_ecma").replace("<delegation_id>", "dlg_nope")
        answer = browser.post(url, junk)
        assert answer.status_code < 500, (url, text(answer))
        if answer.status_code >= 400:
            assert codes(answer), url
    assert services_of(web_app).registrations.current_certificate(MARIE)["status"] == "valid"


def test_private_area_pages_label_every_field(web_app: Flask) -> None:
    browser = registered(web_app)
    pages = [browser.get("/platform/espace-prive"), browser.get("/platform/espace-prive/delegations")]
    pages.append(browser.post("/platform/espace-prive/certificat/code-revocation"))
    pages += [browser.get("/platform/espace-prive/signature"), browser.post("/platform/espace-prive/signature/code")]
    for page in pages:
        assert page.status_code == 200
        assert unlabelled(text(page)) == [], page.request.path
        assert re.search(r"<title>Espace privé", text(page))


def test_the_signed_document_is_kept_nowhere(web_app: Flask) -> None:
    """The platform keeps no documents of its own signing: after a signature and a seal, no table holds a byte of
    either document (a marker written in each is looked for in every row of every table)."""
    browser = registered(web_app)
    browser.get("/platform/espace-prive/signature")
    browser.post("/platform/espace-prive/signature/code")
    marker = "document-marker-7f3a9c"
    signed = post_files(browser, "/platform/espace-prive/signature", pdf_form(f"{marker}-a.pdf", otp=otp(web_app)))
    sealed = post_files(browser, "/platform/espace-prive/signature/cachet", pdf_form(f"{marker}-b", firm="frm_ecma"))
    assert marker.encode() in signed.get_data()
    assert marker.encode() in sealed.get_data()
    with services_of(web_app).db.read() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).all():
                assert marker not in repr(tuple(row)), table.name


def test_a_form_over_the_upload_limit_is_refused_before_it_is_read(
    web_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = registered(web_app)
    browser.get("/platform/espace-prive/signature")
    monkeypatch.setattr(signing_pages, "MAX_UPLOAD_BYTES", 200)
    answer = post_files(browser, "/platform/espace-prive/signature/cachet", pdf_form("gros.pdf", firm="frm_ecma"))
    assert (answer.status_code, codes(answer)) == (413, ["documents_too_large"])
