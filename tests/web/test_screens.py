"""The screens without a browser (Flask's test client): plain form posts, CSRF, errors with their codes, the console
only with the control plane, the platform's OIDC login, the hand-off's session, and the SDK's browser hand-off."""

from __future__ import annotations

import io
import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from jesign_sdk import Client, EnrollmentError
from mock_provider import create_app
from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from mock_provider.core.pki.profiles import LegalPersonIdentity
from tests.helpers.mock import AppPool, LiveMock, memory_config
from tests.helpers.registration import (
    colour_image,
    create_registration,
    grey_image,
    register_to_active,
    walk_to_signed,
)
from tests.helpers.screens import BASE, Browser, codes, text, unlabelled

ROOT = Path(__file__).resolve().parents[2]


def make_app(clock: ManualClock, **overrides: Any) -> Iterator[Flask]:
    app = create_app(memory_config(public_base_url=BASE, **overrides), clock=clock)
    yield app
    services_of(app).close()


@pytest.fixture
def web_app(app_pool: AppPool, clock: ManualClock) -> Flask:
    return app_pool.app(public_base_url=BASE)


def to_trust(browser: Browser, mobile: str = "0612345678", login: str = "marie.dupont") -> str:
    """Log in, confirm the profile, follow the hand-off; answer the trust page's path."""
    browser.login(login)
    answer = browser.post("/platform/registration/profile", {"mobile_number": mobile}, follow_redirects=True)
    assert answer.status_code == 200, text(answer)
    assert answer.request.path.startswith("/trust/enroll/reg_")
    return answer.request.path


def identity(browser: Browser, path: str) -> None:
    form = {"birth_date": "1980-04-12", "accept_terms": "on", "accept_privacy_policy": "on"}
    assert browser.post(f"{path}/identity", form).status_code == 303


def documents(browser: Browser, path: str, front: bytes | None = None) -> TestResponse:
    return browser.post(
        f"{path}/document",
        {
            "document_type": "id_card:fra",
            "document_number": "X4RTBPFW4",
            "front": (io.BytesIO(front or colour_image()), "recto.jpg"),
            "back": (io.BytesIO(colour_image()), "verso.jpg"),
        },
        content_type="multipart/form-data",
    )


# -- the console ---------------------------------------------------------------------------------------------------


def test_console_is_served_only_with_the_control_plane(clock: ManualClock) -> None:
    for app in make_app(clock, control_plane=False):
        client = app.test_client()
        assert client.get("/console/").status_code == 404
        assert client.post("/console/clock/advance", data={"seconds": "60"}).status_code == 404
        assert client.get("/platform/").status_code == 200  # the parties' own screens stay
    for app in make_app(clock):
        assert app.test_client().get("/console/").status_code == 200


def test_console_refuses_bad_actions_with_their_codes(web_app: Flask, clock: ManualClock) -> None:
    browser = Browser(web_app)
    assert browser.get("/console/").status_code == 200
    before = clock.now()
    refused = browser.post("/console/clock/advance", {"seconds": "-5"})
    assert refused.status_code == 400
    assert codes(refused) == ["invalid_clock"]
    assert clock.now() == before
    unknown = browser.post("/console/reviews/reg_nope/approve")
    assert unknown.status_code == 404
    assert codes(unknown) == ["registration_not_found"]
    bad_reason = browser.post("/console/certificates/crt_nope/revoke", {"reason": "bored"})
    assert bad_reason.status_code == 400
    assert codes(bad_reason) == ["invalid_revocation_reason"]
    for path in ("/console/certificates/crt_nope.pem", "/console/registrations/reg_nope"):
        missing = browser.get(path)
        assert missing.status_code == 404
        assert codes(missing) in (["certificate_not_found"], ["registration_not_found"])


def test_console_keeps_the_clock_where_x509_can_date_things(web_app: Flask, clock: ManualClock) -> None:
    """The console's clock obeys the same range as ``POST /_mock/clock/advance`` (one core function for both)."""
    browser = Browser(web_app)
    browser.get("/console/")
    near_the_end = services_of(web_app).pki.clock_instants.latest - timedelta(minutes=1)
    clock.set(near_the_end, frozen=True)
    refused = browser.post("/console/clock/advance", {"seconds": "3600"})
    assert refused.status_code == 400
    assert codes(refused) == ["invalid_clock"]
    assert clock.now() == near_the_end


def test_console_advances_the_clock_and_brings_it_back_to_real_time(web_app: Flask, clock: ManualClock) -> None:
    browser = Browser(web_app)
    browser.get("/console/")
    before = clock.now()
    assert browser.post("/console/clock/advance", {"seconds": "86400"}).status_code == 303
    assert clock.now() == before + timedelta(hours=24)
    back = browser.post("/console/clock/now", follow_redirects=True)
    assert "Horloge revenue à l&#39;heure réelle" in text(back)
    assert clock.frozen is False
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(minutes=1)


def test_console_reject_decides_the_review(app_pool: AppPool, clock: ManualClock) -> None:
    app = app_pool.app(public_base_url=BASE, review_mode="manual")
    reg = walk_to_signed(app.test_client())
    browser = Browser(app)
    page = browser.get("/console/")
    assert f"Refuser {reg['id']}" in text(page)
    answer = browser.post(f"/console/reviews/{reg['id']}/reject", {"reason": "identity_mismatch"})
    assert answer.status_code == 303
    assert services_of(app).registrations.get(reg["id"])["rejection_reason"] == "identity_mismatch"
    again = browser.post(f"/console/reviews/{reg['id']}/approve")
    assert again.status_code == 409
    assert codes(again) == ["registration_wrong_state"]


def test_console_shows_certificate_subjects_with_attribute_names(web_app: Flask) -> None:
    register_to_active(web_app.test_client())
    services = services_of(web_app)
    services.pki.issue_seal(LegalPersonIdentity(organization="Cabinet Ecma", siren="552100554"))
    page = text(Browser(web_app).get("/console/"))
    subjects = re.findall(r"<td><small>([^<]*)</small></td>", page)
    assert len(subjects) == 2
    person = next(s for s in subjects if "Marie" in s)
    seal = next(s for s in subjects if "Ecma" in s)
    assert "serialNumber=IDCFR-X4RTBPFW4" in person
    assert "givenName=Marie" in person
    assert "organizationIdentifier=NTRFR-552100554" in seal
    assert "2.5.4." not in page


# -- CSRF, cookies, headers ----------------------------------------------------------------------------------------


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(web_app: Flask) -> None:
    browser = Browser(web_app)
    path = to_trust(browser)
    browser.token = "forged"
    form = {"birth_date": "1980-04-12", "accept_terms": "on", "accept_privacy_policy": "on"}
    refused = browser.post(f"{path}/identity", form)
    assert refused.status_code == 400
    assert codes(refused) == ["csrf_token_invalid"]
    assert services_of(web_app).registrations.get(path.rsplit("/", 1)[1])["state"] == "created"
    fresh = Browser(web_app)  # another browser: no session, no token
    assert fresh.client.post("/console/clock/advance", base_url=BASE, data={"seconds": "60"}).status_code == 400


def test_session_cookie_is_httponly_and_samesite_lax(web_app: Flask) -> None:
    answer = web_app.test_client().get("/platform/login", base_url=BASE)
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_pages_load_nothing_from_elsewhere(web_app: Flask) -> None:
    browser = Browser(web_app)
    path = to_trust(browser)
    for page in (browser.get("/platform/"), browser.get(path), browser.get("/console/")):
        body = text(page)
        assert "<script" not in body
        assert not re.search(r'(src|href)="(https?:)?//', body)
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"
    css = browser.get("/assets/jesign.css")
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    css.close()


def test_a_browser_asking_for_the_root_gets_the_platform_home(web_app: Flask) -> None:
    client = web_app.test_client()
    answer = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/platform/"
    assert client.get("/", headers={"Accept": "application/json"}).json is not None


def test_package_data_ships_every_template_and_stylesheet() -> None:
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    files = [p for p in (ROOT / "mock_provider").rglob("*") if p.is_file() and p.suffix in (".html", ".css")]
    assert files
    for path in files:
        package = next(folder for folder in path.parents if (folder / "__init__.py").is_file())
        patterns = globs[".".join(package.relative_to(ROOT).parts)]
        name = path.relative_to(package).as_posix()
        assert any(fnmatch(name, pattern) and name.count("/") == pattern.count("/") for pattern in patterns), name


# -- the platform's login ------------------------------------------------------------------------------------------


def test_login_goes_through_the_sso_with_pkce_and_state(web_app: Flask) -> None:
    browser = Browser(web_app)
    start = browser.get("/platform/login")
    assert start.status_code == 303
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert start.headers["Location"].startswith(f"{BASE}/sso/authorize?")
    assert query["client_id"] == ["jesign-platform"]
    assert query["redirect_uri"] == [f"{BASE}/callback"]
    assert query["code_challenge_method"] == ["S256"]
    sso = browser.get(start.headers["Location"])
    assert "Connexion Comptexpert" in text(sso)
    done = browser.login()
    assert done.request.path == "/platform/registration"
    assert "Bravo, votre 1ère connexion s'est déroulée avec succès !" in text(done)


def test_a_callback_with_a_foreign_state_is_refused(web_app: Flask) -> None:
    browser = Browser(web_app)
    browser.get("/platform/login")
    answer = browser.get("/callback?code=stolen&state=not-mine")
    assert answer.status_code == 400
    assert codes(answer) == ["login_state_invalid"]
    assert browser.get("/platform/registration").status_code == 303  # still not logged in


def test_a_refused_code_shows_the_sso_error(web_app: Flask) -> None:
    browser = Browser(web_app)
    state = parse_qs(urlsplit(browser.get("/platform/login").headers["Location"]).query)["state"][0]
    answer = browser.get(f"/callback?code=made-up&state={state}")
    assert answer.status_code == 400
    assert codes(answer) == ["invalid_grant"]


def test_a_login_cancelled_at_the_sso_says_so(web_app: Flask) -> None:
    browser = Browser(web_app)
    state = parse_qs(urlsplit(browser.get("/platform/login").headers["Location"]).query)["state"][0]
    answer = browser.get(f"/callback?error=access_denied&state={state}")
    assert answer.status_code == 403
    assert codes(answer) == ["access_denied"]


def test_the_login_starts_again_from_the_base_url(web_app: Flask) -> None:
    answer = web_app.test_client().get("/platform/login", base_url="http://localhost:8400")
    assert answer.headers["Location"] == f"{BASE}/platform/login"


# -- step 1 and step 6 on the platform -----------------------------------------------------------------------------


def test_step_one_errors_are_shown_next_to_the_field(web_app: Flask) -> None:
    browser = Browser(web_app)
    browser.login("paul.leroy")  # no mobile on file
    missing = browser.post("/platform/registration/profile", {"mobile_number": ""})
    assert missing.status_code == 400
    assert codes(missing) == ["mobile_number_required", "required"]
    assert 'aria-describedby="mobile_number-error"' in text(missing)
    wrong = browser.post("/platform/registration/profile", {"mobile_number": "0112345678"})
    assert codes(wrong) == ["invalid_mobile_number", "invalid_mobile_number"]
    assert 'value="0112345678"' in text(wrong)  # what was typed stays in the field
    tampered = browser.post("/platform/registration/profile", {"given_name": "Pierre", "mobile_number": "0612345678"})
    assert tampered.status_code == 400
    assert codes(tampered) == ["read_only_field", "read_only_field"]
    assert services_of(web_app).registrations.status("usr_paul_leroy")["state"] == "authenticated"


def test_the_platform_pages_follow_the_registration_state(web_app: Flask) -> None:
    browser = Browser(web_app)
    path = to_trust(browser)
    resume = browser.get("/platform/registration")
    assert "Votre demande de certificat est en cours" in text(resume)
    again = browser.post("/platform/registration/certificate-request", follow_redirects=True)
    assert again.request.path == path  # the same registration, a fresh session
    identity(browser, path)
    documents(browser, path)
    assert "Contrat de souscription" in text(browser.get(path))


def test_step_six_needs_both_boxes_for_each_firm_sent(web_app: Flask) -> None:
    browser = Browser(web_app)
    path = to_trust(browser)
    identity(browser, path)
    documents(browser, path)
    page = browser.get(path)
    sha256 = re.search(r'name="sha256" value="([^"]+)"', text(page))
    assert sha256 is not None
    browser.post(f"{path}/agreement/consent", {"accept": "on", "version": "2026-01", "sha256": sha256.group(1)})
    code = web_app.test_client().get("/_mock/outbox/otp", query_string={"phone_number": "+33612345678"}).json
    assert browser.post(f"{path}/agreement/sign", {"otp": code["otp"]}).status_code == 303
    terms = {"firm": ["frm_ecma", "frm_dupont_associes"], "cgu_version": "2026-01", "privacy_policy_version": "2026-01"}
    nothing = browser.post("/platform/registration/terms", terms)
    assert nothing.status_code == 400
    assert codes(nothing)[0] == "terms_not_accepted"
    assert codes(nothing).count("required") == 4
    outdated = browser.post(
        "/platform/registration/terms",
        {**terms, "cgu_version": "2020-01", "cgu-frm_ecma": "on", "privacy-frm_ecma": "on"},
    )
    assert codes(outdated) == ["terms_version_outdated"]
    one = browser.post(
        "/platform/registration/terms", {**terms, "cgu-frm_ecma": "on", "privacy-frm_ecma": "on"}, follow_redirects=True
    )
    assert "Félicitations, votre enregistrement en ligne" in text(one)
    assert services_of(web_app).registrations.status("usr_marie_dupont")["active_firms"] == ["frm_ecma"]


# -- the trust provider's pages ------------------------------------------------------------------------------------


def test_the_hand_off_session_opens_its_own_registration_only(web_app: Flask) -> None:
    reg = create_registration(web_app.test_client(), redirect_url="https://integrateur.example.com/retour")
    browser = Browser(web_app)
    opened = browser.get(f"/trust/enroll/{reg['id']}?session={reg['session_token']}")
    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/trust/enroll/{reg['id']}"  # the token leaves the address bar
    assert "Validez votre identité" in text(browser.get(f"/trust/enroll/{reg['id']}"))
    stranger = Browser(web_app)
    for path in (f"/trust/enroll/{reg['id']}", f"/trust/enroll/{reg['id']}?session=guess"):
        refused = stranger.get(path)
        assert refused.status_code == 404
        assert codes(refused) == ["registration_not_found"]


def test_identity_errors_carry_the_guides_message_and_codes(web_app: Flask) -> None:
    browser = Browser(web_app)
    path = to_trust(browser)
    missing = browser.post(f"{path}/identity", {"accept_terms": "on"})
    assert missing.status_code == 400
    assert "Vous devez saisir votre date de naissance puis cocher les cases." in text(missing)
    assert codes(missing) == ["identity_incomplete", "required", "required"]
    assert 'id="accept_terms" name="accept_terms" checked' in text(missing)
    young = browser.post(
        f"{path}/identity", {"birth_date": "2020-01-01", "accept_terms": "on", "accept_privacy_policy": "on"}
    )
    assert codes(young) == ["applicant_under_age", "under_age"]


def test_document_errors_are_shown_on_their_side(web_app: Flask) -> None:
    browser = Browser(web_app)
    path = to_trust(browser)
    identity(browser, path)
    # XXX is ICAO's "unspecified nationality", allowed in an MRZ but no ISO 3166 country: no passport type.
    choice = browser.get(f"{path}/document?type=passport&country=XXX")
    assert choice.status_code == 400
    assert codes(choice)[0] == "invalid_document_type"
    grey = documents(browser, path, front=grey_image())
    assert grey.status_code == 400
    assert codes(grey) == ["document_not_in_colour", "document_not_in_colour"]
    assert 'id="front-error"' in text(grey)
    assert services_of(web_app).registrations.get(path.rsplit("/", 1)[1])["state"] == "identity_submitted"
    assert documents(browser, path).status_code == 303


def test_recto_and_verso_on_two_pages_as_in_the_guide(web_app: Flask) -> None:
    browser = Browser(web_app)
    path = to_trust(browser)
    identity(browser, path)
    registration_id = path.rsplit("/", 1)[1]
    recto_page = browser.get(f"{path}/document?type=id_card:fra")
    assert "Veillez charger la photo recto de la pièce d'identité" in text(recto_page)
    assert 'name="back"' not in text(recto_page)

    def recto(data: bytes) -> TestResponse:
        form = {"document_type": "id_card:fra", "front": (io.BytesIO(data), "recto.jpg")}
        return browser.post(f"{path}/document/recto", form, content_type="multipart/form-data")

    grey = recto(grey_image())
    assert grey.status_code == 400
    assert codes(grey)[0] == "document_not_in_colour"
    assert "Veillez charger la photo recto" in text(grey)
    assert services_of(web_app).registrations.staged_recto(registration_id) is None  # a refused recto is not kept
    kept = recto(colour_image())
    assert kept.status_code == 303
    verso_page = browser.get(kept.headers["Location"])
    assert "Veillez charger la photo verso de la pièce d'identité" in text(verso_page)
    assert "Recto reçu" in text(verso_page)
    assert 'name="front"' not in text(verso_page)
    assert "Veillez charger la photo recto" in text(browser.get(f"{path}/document?type=id_card:fra&side=recto"))
    # Another type's page does not take this recto: its own recto is asked for.
    assert "Veillez charger la photo recto" in text(browser.get(f"{path}/document?type=residence_permit:fra"))
    verso = browser.post(
        f"{path}/document",
        {"document_type": "id_card:fra", "document_number": "X4RTBPFW4", "back": (io.BytesIO(colour_image()), "v.jpg")},
        content_type="multipart/form-data",
    )
    assert verso.status_code == 303, text(verso)
    assert services_of(web_app).registrations.get(registration_id)["state"] == "documents_submitted"
    assert services_of(web_app).registrations.staged_recto(registration_id) is None  # taken with the verso


def test_agreement_consent_wrong_code_resend_and_cancel(web_app: Flask) -> None:
    browser = Browser(web_app)
    path = to_trust(browser)
    identity(browser, path)
    documents(browser, path)
    unticked = browser.post(f"{path}/agreement/consent", {"version": "2026-01", "sha256": "x"})
    assert codes(unticked) == ["agreement_not_accepted", "agreement_not_accepted"]
    stale = browser.post(f"{path}/agreement/consent", {"accept": "on", "version": "2025-01", "sha256": "x"})
    assert stale.status_code == 409
    assert codes(stale) == ["agreement_version_mismatch"]
    sha256 = re.search(r'name="sha256" value="([^"]+)"', text(browser.get(path)))
    assert sha256 is not None
    sent = browser.post(
        f"{path}/agreement/consent",
        {"accept": "on", "version": "2026-01", "sha256": sha256.group(1)},
        follow_redirects=True,
    )
    assert 'Un code vous a été envoyé par SMS au <strong class="phone">5678</strong>' in text(sent)
    malformed = browser.post(f"{path}/agreement/sign", {"otp": "12"})
    assert codes(malformed) == ["otp_malformed", "invalid_format"]
    wrong = browser.post(f"{path}/agreement/sign", {"otp": "000000"})
    assert codes(wrong) == ["otp_invalid", "otp_invalid"]
    assert text(wrong).count("Le code saisi est incorrect : il vous reste 4 essais.") == 2  # summary and field
    again = browser.post(f"{path}/agreement/sign", {"otp": "000001"})
    assert "Le code saisi est incorrect : il vous reste 3 essais." in text(again)
    too_soon = browser.post(f"{path}/agreement/resend")
    assert too_soon.status_code == 429
    assert codes(too_soon) == ["otp_resend_too_soon"]
    cancelled = browser.post(f"{path}/cancel", follow_redirects=True)
    assert "Demande annulée" in text(cancelled)


def test_a_rejected_request_returns_with_its_outcome(web_app: Flask) -> None:
    browser = Browser(web_app)
    path = to_trust(browser, mobile="0656789012", login="jean.rejet")
    identity(browser, path)
    documents(browser, path)
    sha256 = re.search(r'name="sha256" value="([^"]+)"', text(browser.get(path)))
    assert sha256 is not None
    browser.post(f"{path}/agreement/consent", {"accept": "on", "version": "2026-01", "sha256": sha256.group(1)})
    code = web_app.test_client().get("/_mock/outbox/otp", query_string={"phone_number": "+33656789012"}).json
    closed = browser.post(f"{path}/agreement/sign", {"otp": code["otp"]}, follow_redirects=True)
    assert "Votre demande de certificat n'a pas pu aboutir" in text(closed)
    back = re.search(r'href="([^"]+)">Revenir', text(closed))
    assert back is not None
    query = parse_qs(urlsplit(back.group(1).replace("&amp;", "&")).query)
    assert query["outcome"] == ["rejected"]
    profile = browser.get(back.group(1).replace("&amp;", "&"), follow_redirects=True)
    assert "Votre précédente demande de certificat n'a pas pu aboutir" in text(profile)
    assert "document_unreadable" in text(profile)


# -- the SDK's browser hand-off ------------------------------------------------------------------------------------


@pytest.mark.live
def test_sdk_browser_handoff_and_a_forged_return(live_mock: LiveMock) -> None:
    client = Client(live_mock.url)
    client.login_with_hint("marie.dupont")
    client.registration.confirm_profile(mobile_number="0612345678")
    with pytest.raises(ValueError, match="http"):
        client.registration.browser_handoff(redirect_url="javascript:alert(1)")
    url = client.registration.browser_handoff(redirect_url="https://integrateur.example.com/retour")
    assert url.startswith(f"{live_mock.url}/trust/enroll/reg_")
    registration_id = urlsplit(url).path.rsplit("/", 1)[1]
    status = client.registration.handoff_outcome(
        f"https://integrateur.example.com/retour?registration_id={registration_id}&outcome=certificate_issued"
    )
    assert status.next_action == "submit_identity"  # the platform's word, not the query string's
    with pytest.raises(EnrollmentError, match="not this person's"):
        client.registration.handoff_outcome("https://integrateur.example.com/retour?registration_id=reg_forged")
    with pytest.raises(EnrollmentError, match="no registration_id"):
        client.registration.handoff_outcome("https://integrateur.example.com/retour")


@pytest.mark.slow
def test_while_the_review_waits_both_parties_say_so(app_pool: AppPool, clock: ManualClock) -> None:
    app = app_pool.app(public_base_url=BASE, review_mode="manual")
    browser = Browser(app)
    path = to_trust(browser)
    identity(browser, path)
    documents(browser, path)
    sha256 = re.search(r'name="sha256" value="([^"]+)"', text(browser.get(path)))
    assert sha256 is not None
    browser.post(f"{path}/agreement/consent", {"accept": "on", "version": "2026-01", "sha256": sha256.group(1)})
    code = app.test_client().get("/_mock/outbox/otp", query_string={"phone_number": "+33612345678"}).json
    waiting = browser.post(f"{path}/agreement/sign", {"otp": code["otp"]}, follow_redirects=True)
    assert "Demande en cours de traitement" in text(waiting)
    assert "Demande en cours de traitement" in text(browser.get("/platform/registration"))
    assert "Annuler ma demande" not in text(waiting)  # signed: no longer cancellable
    registration_id = path.rsplit("/", 1)[1]
    assert browser.post(f"/console/reviews/{registration_id}/approve").status_code == 303
    issued = browser.get(path)
    link = re.search(r'href="([^"]+)">Accéder au portail de signature', text(issued))
    assert link is not None
    assert link.group(1).startswith(f"{BASE}/platform/registration/return?registration_id={registration_id}")
    back = browser.get(link.group(1).replace("&amp;", "&"), follow_redirects=True)
    assert "Encore quelques secondes avant de pouvoir utiliser la plateforme !" in text(back)


GARBAGE = [
    {},
    {"birth_date": "31/02/1980", "accept_terms": "yes", "otp": "abcdef", "seconds": "1e9", "reason": "<script>"},
    {"document_type": "passport:zzz", "firm": ["frm_nope"], "value": "x", "kind": "nope", "mobile_number": "+"},
]


@pytest.mark.parametrize("form", GARBAGE)
def test_no_form_post_ends_in_a_server_error(web_app: Flask, form: dict[str, Any]) -> None:
    """Every form of every screen, posted with junk in every state reached on the way: refused, never a 500."""
    browser = Browser(web_app)
    path = to_trust(browser)
    registration_id = path.rsplit("/", 1)[1]
    posts = sorted(
        rule.rule
        for rule in web_app.url_map.iter_rules()
        if "POST" in (rule.methods or ())
        and rule.endpoint.split(".")[0] in ("platform_pages", "trust_pages", "console")
    )
    assert len(posts) >= 15
    for rule in posts:
        url = (
            rule.replace("<registration_id>", registration_id)
            .replace("<certificate_id>", "crt_nope")
            .replace("<firm_id>", "frm_ecma")
        )
        if url in ("/platform/logout", "/console/reset"):
            continue  # they need no input and would end the walk
        answer = browser.post(url, form)
        assert answer.status_code < 500, (url, text(answer))
        if answer.status_code >= 400:
            assert codes(answer), url  # a refusal always names its code


def test_every_field_of_every_page_has_a_label(web_app: Flask) -> None:
    browser = Browser(web_app)
    pages = [browser.get("/platform/"), browser.login()]
    path = to_trust(browser)
    pages.append(browser.get(path))
    identity(browser, path)
    pages += [browser.get(path), browser.get(f"{path}/document?type=id_card:fra")]
    documents(browser, path)
    pages.append(browser.get(path))
    sha256 = re.search(r'name="sha256" value="([^"]+)"', text(pages[-1]))
    assert sha256 is not None
    browser.post(f"{path}/agreement/consent", {"accept": "on", "version": "2026-01", "sha256": sha256.group(1)})
    pages += [browser.get(path), browser.get("/console/")]
    code = web_app.test_client().get("/_mock/outbox/otp", query_string={"phone_number": "+33612345678"}).json
    browser.post(f"{path}/agreement/sign", {"otp": code["otp"]})
    pages += [browser.get("/platform/registration"), browser.get("/console/")]
    titles = []
    for page in pages:
        assert page.status_code == 200
        assert unlabelled(text(page)) == [], page.request.path
        titles.append(re.search(r"<title>(.*?)</title>", text(page)).group(1))  # type: ignore[union-attr]
    assert len(set(titles)) >= 8  # each step its own page
