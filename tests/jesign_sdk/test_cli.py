"""The ``jesign`` command line against the mock over HTTP, and its token store.

``jesign login --login-hint`` logs a seeded account in with no browser, as scripts do. The browser's login is
driven as a person would drive it: ``webbrowser.open`` is replaced by a "browser" that opens the SSO's page, picks
the account on it and follows the redirect to the CLI's loopback listener.
"""

from __future__ import annotations

import html
import io
import json
import re
import socket
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from click.testing import CliRunner, Result
from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.sign.fields import enumerate_sig_fields

from jesign_sdk import Client, Handoff, Tokens
from jesign_sdk._tokens import TokenStore
from jesign_sdk.cli import main
from mock_provider.core.clock import ManualClock
from tests.helpers import broken_http
from tests.helpers.mock import LiveMock, served
from tests.helpers.registration import colour_image, grey_image, td1

live = pytest.mark.live

Run = Callable[..., Result]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config" / "jesign"


#: The account the "browser" picks on the SSO's login page.
BROWSER_LOGIN = "marie.dupont"


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replaces the browser: checks that the listener is already bound, then, on the SSO's login page, picks the
    account (as a person clicks it) and follows the redirect to the listener."""
    opened: list[str] = []

    def open_url(url: str, *args: Any, **kwargs: Any) -> bool:
        opened.append(url)
        redirect_uri = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        port = urlsplit(redirect_uri).port
        assert port is not None
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass  # the listener accepts connections before the browser is sent anywhere
        with requests.Session() as web:
            page = web.get(url, timeout=10)
            assert page.status_code == 200, page.text
            assert "<h1>Connexion Comptexpert</h1>" in page.text
            form = re.search(
                r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrf_token" '
                r'value="([^"]+)">',
                page.text,
            )
            assert form is not None
            answer = web.post(
                urljoin(page.url, html.unescape(form.group(1))),
                data={"csrf_token": form.group(2), "login": BROWSER_LOGIN},
                timeout=10,
            )
        assert answer.status_code == 200, answer.text
        assert answer.url.startswith(f"http://127.0.0.1:{port}/callback?")
        assert "Connexion reçue" in answer.text
        return True

    monkeypatch.setattr("webbrowser.open", open_url)
    return opened


@pytest.fixture
def no_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine with no browser: opening one fails the test."""

    def open_url(url: str, *args: Any, **kwargs: Any) -> bool:
        raise AssertionError(f"a browser was opened on {url}")

    monkeypatch.setattr("webbrowser.open", open_url)


def _runner(base_url: str, config_dir: Path) -> Run:
    def run(*args: str, stdin: Any = None) -> Result:
        command = ["--base-url", base_url, "--config-dir", str(config_dir), *args]
        return CliRunner().invoke(main, command, input=stdin, catch_exceptions=False)

    return run


@pytest.fixture
def run(live_mock: LiveMock, config_dir: Path) -> Run:
    return _runner(live_mock.url, config_dir)


@pytest.fixture
def marie(run: Run, no_browser: None) -> Run:
    """``run``, with Marie Dupont logged in (with no browser: ``--login-hint``)."""
    result = run("login", "--login-hint", "marie.dupont")
    assert result.exit_code == 0, result.output
    return run


def _stored(config_dir: Path) -> dict[str, Any]:
    return dict(json.loads((config_dir / "tokens.json").read_text())["tokens"])


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def _served(clock: ManualClock, **config: Any) -> Iterator[str]:
    """Another mock over HTTP, with these settings; answers its base URL."""
    with served(clock, **config) as live:
        yield live.url


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- login, logout, whoami ---------------------------------------------------------------------------------------


@live
def test_login_through_the_loopback_listener(
    live_mock: LiveMock, run: Run, browser: list[str], config_dir: Path
) -> None:
    result = run("login")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Logged in to {live_mock.url} as Marie Dupont <marie.dupont@cabinet-ecma.example.com>.\n"
    assert len(browser) == 1
    query = parse_qs(urlsplit(browser[0]).query)
    assert query["client_id"] == ["jesign-cli"]
    assert query["code_challenge_method"] == ["S256"]
    assert "login_hint" not in query
    assert browser[0] in result.stderr  # printed for copy-paste as well
    entry = _stored(config_dir)[live_mock.url]
    assert entry["claims"]["sub"] == "usr_marie_dupont"
    for secret in (entry["access_token"], entry["refresh_token"], entry["id_token"]):
        assert secret not in result.output


@live
def test_login_hint_logs_in_with_no_browser(live_mock: LiveMock, run: Run, no_browser: None, config_dir: Path) -> None:
    result = run("login", "--login-hint", "marie.dupont")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Logged in to {live_mock.url} as Marie Dupont <marie.dupont@cabinet-ecma.example.com>.\n"
    assert result.stderr == ""  # no address to open, no listener to wait on
    assert _stored(config_dir)[live_mock.url]["claims"]["sub"] == "usr_marie_dupont"
    assert run("whoami").stdout.startswith("Marie Dupont <")


@live
def test_login_json_tells_who_without_tokens(run: Run, no_browser: None) -> None:
    result = run("--json", "login", "--login-hint", "luc.martin")
    assert result.exit_code == 0, result.output
    who = json.loads(result.stdout)
    assert (who["sub"], who["email"]) == ("usr_luc_martin", "luc.martin@cabinet-ecma.example.com")
    assert not {"access_token", "refresh_token", "id_token"} & who.keys()


@live
def test_a_login_hint_the_server_refuses_is_a_usage_error(
    run: Run, no_browser: None, clock: ManualClock, config_dir: Path
) -> None:
    unknown = run("login", "--login-hint", "nobody.here")  # a mock with its control plane on, no such account
    assert unknown.exit_code == 2
    assert "did not log 'nobody.here' in without a browser (it answered 200)" in unknown.stderr
    assert "--login-hint needs a jesign mock with its control plane on" in unknown.stderr
    with _served(clock, control_plane=False) as url:
        refused = _runner(url, config_dir)("login", "--login-hint", "marie.dupont")
    assert refused.exit_code == 2
    assert f"{url} did not log 'marie.dupont' in without a browser" in refused.stderr
    assert not (config_dir / "tokens.json").exists()  # nothing kept


def test_login_hint_takes_no_browser_option(config_dir: Path) -> None:
    run = _runner("http://127.0.0.1:1", config_dir)  # refused before any call
    for option in (["--no-browser"], ["--timeout", "5"]):
        result = run("login", "--login-hint", "marie.dupont", *option)
        assert result.exit_code == 2
        assert f"--login-hint opens no browser: leave out {option[0]}" in result.stderr


@live
def test_token_file_is_private(marie: Run, config_dir: Path) -> None:
    assert _mode(config_dir / "tokens.json") == 0o600
    assert _mode(config_dir) == 0o700


@live
def test_login_with_no_browser_only_prints_the_url(run: Run, browser: list[str]) -> None:
    result = run("login", "--no-browser", "--timeout", "1")
    assert browser == []
    assert "/sso/authorize?" in result.stderr
    assert result.exit_code == 3
    assert "no answer from the browser within 1 seconds" in result.stderr


@live
def test_whoami(marie: Run) -> None:
    text = marie("whoami")
    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines()[0] == "Marie Dupont <marie.dupont@cabinet-ecma.example.com>"
    assert "registration:     authenticated" in text.stdout
    assert "Cabinet Ecma (frm_ecma, SIREN 552100554)" in text.stdout
    assert "role: expert-comptable; delegations: -; service open: no" in text.stdout

    as_json = marie("--json", "whoami")
    assert as_json.exit_code == 0, as_json.output
    me = json.loads(as_json.stdout)
    assert (me["id"], me["registration_state"]) == ("usr_marie_dupont", "authenticated")
    assert {f["id"]: f["role"] for f in me["firms"]} == {
        "frm_ecma": "expert-comptable",
        "frm_dupont_associes": "expert-comptable",
    }


@live
def test_whoami_lists_a_collaborators_delegations(run: Run, no_browser: None) -> None:
    assert run("login", "--login-hint", "luc.martin").exit_code == 0
    result = run("whoami")
    assert "role: collaborateur; delegations: sign;" in result.stdout


@live
def test_an_expired_access_token_is_refreshed_and_saved(live_mock: LiveMock, marie: Run, config_dir: Path) -> None:
    store = TokenStore(config_dir)
    before = store.load(live_mock.url)
    assert before is not None
    store.save(live_mock.url, Tokens(**{**before.__dict__, "expires_at": datetime.now(UTC) - timedelta(hours=1)}))
    assert marie("whoami").exit_code == 0
    after = store.load(live_mock.url)
    assert after is not None
    assert after.access_token != before.access_token
    assert after.expires_at > datetime.now(UTC)


@live
def test_logout_revokes_and_forgets_the_tokens(live_mock: LiveMock, marie: Run, config_dir: Path) -> None:
    access_token = _stored(config_dir)[live_mock.url]["access_token"]
    result = marie("logout")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Logged out of {live_mock.url}.\n"
    assert live_mock.url not in _stored(config_dir)
    me = requests.get(
        f"{live_mock.url}/platform/api/v1/me", headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )
    assert me.status_code == 401
    assert marie("whoami").exit_code == 3
    assert marie("logout").stdout == f"Not logged in to {live_mock.url}.\n"


@live
def test_not_logged_in_exits_3(run: Run) -> None:
    result = run("whoami")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("Error: [401 not_logged_in] not logged in to http://127.0.0.1:")
    assert len(result.stderr.splitlines()) == 1

    as_json = run("--json", "registration", "status")
    assert as_json.exit_code == 3
    error = json.loads(as_json.stdout)["error"]
    assert (error["code"], error["status"], error["request_id"]) == ("not_logged_in", 401, None)


def test_unreachable_server_exits_4(config_dir: Path) -> None:
    run = _runner(f"http://127.0.0.1:{_closed_port()}", config_dir)
    result = run("login", "--no-browser", "--timeout", "1")
    assert result.exit_code == 4
    assert "cannot connect" in result.stderr

    as_json = run("--json", "login", "--no-browser", "--timeout", "1")
    assert as_json.exit_code == 4
    assert json.loads(as_json.stdout)["error"]["code"] == "connection_error"


def test_a_broken_answer_exits_4_and_a_success_that_is_not_json_exits_1(config_dir: Path) -> None:
    with broken_http.serve(broken_http.reset_mid_body) as server:
        broken = _runner(server.url, config_dir)("--json", "login", "--no-browser", "--timeout", "1")
    assert broken.exit_code == 4
    assert json.loads(broken.stdout)["error"]["code"] == "connection_error"

    page = b"<html>Portail captif</html>"
    answer = broken_http.head(Content_Type="text/html", Content_Length=str(len(page))) + page

    def captive_portal(conn: socket.socket, request: broken_http.Request) -> str:
        conn.sendall(answer)
        return broken_http.CLOSE

    with broken_http.serve(captive_portal) as server:
        run = _runner(server.url, config_dir)
        result = run("login", "--no-browser", "--timeout", "1")
        as_json = run("--json", "login", "--no-browser", "--timeout", "1")
    assert result.exit_code == 1
    assert "the answer is not JSON (text/html)" in result.stderr
    assert as_json.exit_code == 1
    error = json.loads(as_json.stdout)["error"]
    assert (error["code"], error["status"]) == ("invalid_response", 200)


def test_usage_errors_exit_2(config_dir: Path) -> None:
    run = _runner("http://127.0.0.1:1", config_dir)
    assert run("enroll", "--level", "gold").exit_code == 2
    assert run("no-such-command").exit_code == 2


# -- registration and enrolment ----------------------------------------------------------------------------------


@pytest.fixture
def documents(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "front": tmp_path / "recto.jpg",
        "back": tmp_path / "verso.png",
        "grey": tmp_path / "grey.jpg",
        "mrz": tmp_path / "mrz.txt",
    }
    paths["front"].write_bytes(colour_image())
    paths["back"].write_bytes(colour_image("PNG"))
    paths["grey"].write_bytes(grey_image())
    paths["mrz"].write_text(td1("X4RTBPFW4") + "\n")
    return paths


def _enroll_options(documents: dict[str, Path], **overrides: str) -> list[str]:
    options = {
        "--mobile": "06 12 34 56 78",
        "--birth-date": "1980-04-12",
        "--document-type": "id_card:fra",
        "--front": str(documents["front"]),
        "--back": str(documents["back"]),
        "--mrz-file": str(documents["mrz"]),
        "--level": "qcpnqscd",
        **overrides,
    }
    return [text for pair in options.items() for text in pair]


@live
def test_registration_status(marie: Run) -> None:
    text = marie("registration", "status")
    assert text.exit_code == 0, text.output
    assert "State:        authenticated" in text.stdout
    assert "Next action:  confirm_profile  [1/6] Pré-validation des informations Comptexpert" in text.stdout
    assert "Mobile:       +33612345678 (not confirmed)" in text.stdout
    assert "Certificate request: none" in text.stdout

    status = json.loads(marie("--json", "registration", "status").stdout)
    assert (status["state"], status["next_action"], status["certificate_request"]) == (
        "authenticated",
        "confirm_profile",
        None,
    )
    assert status["profile"]["email"] == "marie.dupont@cabinet-ecma.example.com"


@live
def test_enroll_with_every_option_to_active(marie: Run, documents: dict[str, Path]) -> None:
    options = _enroll_options(documents, **{"--document-number": "X4RTBPFW4"})
    result = marie("enroll", *options, "--firm", "frm_ecma", "--firm", "frm_dupont_associes", "--otp-from-mock-outbox")
    assert result.exit_code == 0, result.output
    steps = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert steps == [
        "[1/6] Pré-validation des informations Comptexpert",
        "[2/6] Création du certificat : ouverture de la demande",
        "[2/6] Création du certificat : identité",
        "[3/6] Pièce d'identité recto / verso",
        "[4/6] Signature de l'accord de souscription",
        "[6/6] Validation des CGU et RGPD",
        "[6/6] Enregistrement terminé : le service est ouvert",
    ]
    assert "Un code vous a été envoyé par SMS au " in result.stderr
    assert "5678" in result.stderr
    assert "IDCFR-X4RTBPFW4" in result.stdout
    assert "Level:        qcpnqscd" in result.stdout
    assert "Status:       valid" in result.stdout

    status = json.loads(marie("--json", "registration", "status").stdout)
    assert (status["state"], status["next_action"]) == ("active", None)
    assert sorted(status["active_firms"]) == ["frm_dupont_associes", "frm_ecma"]
    assert "service open: yes" in marie("whoami").stdout

    shown = marie("certificate", "show")
    assert shown.exit_code == 0, shown.output
    for label in ("Subject:", "Level:", "Serial:", "Valid:", "Status:", "Acceptance:"):
        assert label in shown.stdout
    pem = marie("certificate", "show", "--pem")
    certificate = x509.load_pem_x509_certificate(pem.stdout.encode())
    assert "IDCFR-X4RTBPFW4" in certificate.subject.rfc4514_string()
    chain = marie("certificate", "show", "--pem", "--chain").stdout
    assert chain.count("BEGIN CERTIFICATE") >= 2
    as_json = json.loads(marie("--json", "certificate", "show").stdout)
    assert f"Serial:       {as_json['serial_number']}" in shown.stdout
    assert (as_json["level"], as_json["status"]) == ("qcpnqscd", "valid")
    assert as_json["certificate_pem"].strip() == pem.stdout.strip()

    again = marie("enroll")  # nothing left to ask: prints the certificate
    assert again.exit_code == 0, again.output
    assert "IDCFR-X4RTBPFW4" in again.stdout


class _Typed(io.RawIOBase):
    """Stdin where the person types these codes, then the one the mock sent (read from its outbox when the prompt
    asks for it): one line per read, as a person answers each prompt in turn."""

    def __init__(self, live: LiveMock, phone: str, *wrong: str) -> None:
        self._live, self._phone, self._lines = live, phone, [*wrong, None]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._lines:
            return 0
        code = self._lines.pop(0)
        if code is None:
            answer = requests.get(
                f"{self._live.url}/_mock/outbox/otp", params={"phone_number": self._phone}, timeout=10
            )
            code = answer.json()["otp"]
        line = f"{code}\n".encode()
        buffer[: len(line)] = line
        return len(line)


def typed(live: LiveMock, *wrong: str, phone: str = "+33612345678") -> io.BufferedReader:
    return io.BufferedReader(_Typed(live, phone, *wrong))


def screen(output: str) -> list[str]:
    """The lines a terminal shows of ``output``: a carriage return goes back to the start of the line, and what
    follows overwrites what was there."""
    lines = []
    for raw in output.split("\n"):
        shown: list[str] = []
        column = 0
        for char in raw:
            if char == "\r":
                column = 0
                continue
            shown[column : column + 1] = [char]
            column += 1
        lines.append("".join(shown).rstrip())
    return lines


@live
def test_enroll_prompts_for_the_sms_code(live_mock: LiveMock, marie: Run, documents: dict[str, Path]) -> None:
    result = marie("enroll", *_enroll_options(documents), stdin=typed(live_mock))
    assert result.exit_code == 0, result.output
    assert "Un code vous a été envoyé par SMS au 5678.\nCode SMS :" in result.stderr
    assert "Status:       valid" in result.stdout


@live
def test_after_a_wrong_code_the_prompt_says_so_and_the_tries_left(
    live_mock: LiveMock, marie: Run, documents: dict[str, Path]
) -> None:
    result = marie("enroll", *_enroll_options(documents), stdin=typed(live_mock, "000000", "000001"))
    assert result.exit_code == 0, result.output
    shown = screen(result.output)
    notices = [line for line in shown if "code" in line.lower() and not line.startswith("Code SMS :")]
    assert notices == [
        "Un code vous a été envoyé par SMS au 5678.",  # once: no code was sent again
        "Le code saisi est incorrect : il vous reste 2 essais.",
        "Le code saisi est incorrect : il vous reste 1 essai.",
    ]
    assert [line for line in shown if line.startswith("Code SMS :")] == [
        "Code SMS : 000000",
        "Code SMS : 000001",
        f"Code SMS : {_sent_code(live_mock)}",
    ]
    assert "Status:       valid" in result.stdout
    sms = requests.get(f"{live_mock.url}/_mock/outbox", params={"channel": "sms"}, timeout=10).json()["data"]
    assert len(sms) == 1


@live
def test_three_wrong_codes_end_the_enrolment_with_the_refusal(
    live_mock: LiveMock, marie: Run, documents: dict[str, Path]
) -> None:
    result = marie("enroll", *_enroll_options(documents), stdin=typed(live_mock, "000000", "000001", "000002"))
    assert result.exit_code == 1
    assert "Le code saisi est incorrect : il vous reste 1 essai." in result.stderr
    assert result.stderr.splitlines()[-1] == "Error: the SMS code was refused 3 times (otp_invalid)"
    status = json.loads(marie("--json", "registration", "status").stdout)
    assert status["next_action"] == "sign_subscription_agreement"  # nothing signed: enroll resumes from here


def _sent_code(live: LiveMock, phone: str = "+33612345678") -> str:
    answer = requests.get(f"{live.url}/_mock/outbox/otp", params={"phone_number": phone}, timeout=10)
    return str(answer.json()["otp"])


@live
def test_enroll_prompts_for_what_is_missing(
    live_mock: LiveMock, run: Run, no_browser: None, documents: dict[str, Path]
) -> None:
    assert run("login", "--login-hint", "paul.leroy").exit_code == 0  # no mobile number on file
    documents["mrz"].write_text(td1("P7LEROY01", surname="Leroy", given="Paul", sex="M"))
    answers = [
        "06 11 22 33 44",
        "12/04/1980",
        "",  # the default document type, id_card:fra
        str(documents["front"]),
        str(documents["back"]),
        str(documents["mrz"]),
    ]
    result = run("enroll", "--otp-from-mock-outbox", stdin="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    for prompt in ("Mobile number", "Birth date", "Document type [id_card:fra]", "Front side", "Back side", "MRZ"):
        assert prompt in result.stderr
    assert "IDCFR-P7LEROY01" in result.stdout
    assert "+33611223344" in run("whoami").stdout


@live
def test_a_refused_document_exits_1_with_its_code(marie: Run, documents: dict[str, Path]) -> None:
    options = _enroll_options(documents, **{"--front": str(documents["grey"])})
    result = marie("enroll", *options, "--otp-from-mock-outbox")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("Error: [400 document_not_in_colour] ")
    assert "(request " in result.stderr.splitlines()[-1]

    as_json = marie("--json", "enroll", *options, "--otp-from-mock-outbox")
    assert as_json.exit_code == 1
    error = json.loads(as_json.stdout)["error"]
    assert (error["code"], error["status"]) == ("document_not_in_colour", 400)
    assert error["request_id"]
    assert error["message"]
    assert error["retry_after"] is None  # waiting would not help


def test_a_json_error_gives_the_wait_the_server_asked(capsys: pytest.CaptureFixture[str]) -> None:
    from click.exceptions import Exit

    from jesign_sdk import OtpLockedError
    from jesign_sdk.cli import _report

    locked = OtpLockedError(
        "30 codes in the hour", status_code=423, code="otp_code_limit_reached", request_id="req_1", retry_after=1770
    )
    with pytest.raises(Exit):
        _report(locked, json_output=True)
    error = json.loads(capsys.readouterr().out)["error"]
    assert (error["code"], error["status"], error["retry_after"]) == ("otp_code_limit_reached", 423, 1770)


# -- the token store ---------------------------------------------------------------------------------------------


def _tokens(access: str = "at-1") -> Tokens:
    return Tokens(
        access_token=access,
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
        refresh_token="rt-1",
        id_token="idt-1",
        scope="openid",
        claims={"sub": "usr_x"},
    )


def test_token_store_keeps_one_login_per_base_url(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "cfg")
    assert store.load("http://a.example") is None
    store.save("http://a.example/", _tokens("at-a"))
    store.save("http://b.example", _tokens("at-b"))
    assert store.load("http://a.example") == _tokens("at-a")
    assert store.load("http://b.example/") == _tokens("at-b")
    assert store.delete("http://a.example")
    assert not store.delete("http://a.example")
    assert store.load("http://a.example") is None
    assert store.load("http://b.example") == _tokens("at-b")


def test_token_store_files_are_private(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "cfg" / "jesign")
    store.save("http://a.example", _tokens())
    assert _mode(store.path) == 0o600
    assert _mode(store.directory) == 0o700
    store.path.chmod(0o644)  # a rewrite never keeps wider rights
    store.save("http://a.example", _tokens("at-2"))
    assert _mode(store.path) == 0o600
    assert [p.name for p in store.directory.iterdir()] == ["tokens.json"]


def test_token_store_keeps_the_last_handoff_per_person_and_base_url(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "cfg")
    first = Handoff("reg_1", "created", "qcpnqscd", "http://a.example/trust/enroll/reg_1?session=s1", "s1")
    second = Handoff("reg_1", "created", "qcpnqscd", "http://a.example/trust/enroll/reg_1?session=s2", "s2")
    store.save("http://a.example", _tokens())
    store.save_handoff("http://a.example", "usr_x", first)
    store.save_handoff("http://a.example/", "usr_x", second)
    assert store.load_handoff("http://a.example", "usr_x") == second
    assert store.load_handoff("http://a.example", "usr_y") is None  # another person's session is not given
    assert store.load_handoff("http://b.example", "usr_x") is None
    assert store.load("http://a.example") == _tokens()  # the login is kept beside it
    assert _mode(store.path) == 0o600
    assert store.delete("http://a.example")  # logging out forgets both
    assert store.load_handoff("http://a.example", "usr_x") is None


@pytest.mark.parametrize("content", ["", "not json", "[]", '{"tokens": {"http://a.example": {"nope": 1}}}'])
def test_an_unreadable_token_store_counts_as_empty(tmp_path: Path, content: str) -> None:
    store = TokenStore(tmp_path)
    store.path.write_text(content)
    assert store.load("http://a.example") is None
    store.save("http://a.example", _tokens())
    assert store.load("http://a.example") == _tokens()


# -- signing and sealing -----------------------------------------------------------------------------------------


def _pdf(path: Path, pages: int = 1) -> Path:
    """A PDF of ``pages`` A4 pages made with pyHanko's writer."""
    writer = PdfFileWriter()
    for number in range(pages):
        content = writer.add_object(generic.StreamObject(stream_data=f"% page {number + 1}\n".encode()))
        writer.insert_page(PageObject(contents=content, media_box=(0, 0, 595, 842)))
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())
    return path


@pytest.fixture
def active(live_mock: LiveMock, registered: Callable[..., str], run: Run, no_browser: None) -> Run:
    """``run``, with Marie Dupont registered (certificate issued, both firms opened), then logged in."""
    registered(live_mock.app)
    result = run("login", "--login-hint", "marie.dupont")
    assert result.exit_code == 0, result.output
    return run


@live
def test_the_progress_bar_is_cleared_before_the_sms_prompt(
    live_mock: LiveMock, active: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("click._termui_impl.isatty", lambda stream: True)  # the bar drawn in place, as on a terminal
    files = [str(_pdf(tmp_path / f"{name}.pdf")) for name in ("a", "b")]
    result = active("sign", *files, "--level", "B-B", stdin=typed(live_mock, "000000"))
    assert result.exit_code == 0, result.output
    assert "\r" in result.stderr  # the bar was drawn in place
    shown = screen(result.output)
    assert shown.count("Un code vous a été envoyé par SMS au 5678.") == 1
    assert shown.count("Le code saisi est incorrect : il vous reste 2 essais.") == 1
    assert [line for line in shown if line.startswith("Code SMS :")] == [
        "Code SMS : 000000",
        f"Code SMS : {_sent_code(live_mock)}",
    ]
    assert shown[shown.index(f"Code SMS : {_sent_code(live_mock)}") + 1].startswith("Documents  [#####")  # drawn again
    assert f"Signed {files[0]} -> {tmp_path / 'a-signed.pdf'} (PAdES B-B)" in result.stdout


def _widget(path: Path) -> tuple[int, list[float], bool]:
    """The page (from 0) of the document's one signature field, its rectangle, and whether it has an appearance."""
    with path.open("rb") as file:
        reader = PdfFileReader(file)
        [(_, _, field_ref)] = list(enumerate_sig_fields(reader))
        field = field_ref.get_object()
        pages = int(reader.root["/Pages"]["/Count"])
        on = [
            number
            for number in range(pages)
            if any(
                annotation.idnum == field_ref.idnum
                for annotation in reader.find_page_for_modification(number)[0].get_object().get("/Annots", [])
            )
        ]
        assert len(on) == 1
        return on[0], [float(v) for v in field["/Rect"]], "/N" in field.get("/AP", {})


@live
def test_visible_signature_and_seal_go_in_the_box_of_the_page_asked(active: Run, tmp_path: Path) -> None:
    source = _pdf(tmp_path / "lettre.pdf", pages=3)
    signed = active(
        "sign", str(source), "--level", "B-B", "--otp-from-mock-outbox",
        "--box", "50,60,250,120", "--page", "2", "--text", "Lu et approuvé",
    )  # fmt: skip
    assert signed.exit_code == 0, signed.output
    page, rect, drawn = _widget(tmp_path / "lettre-signed.pdf")
    assert (page, rect, drawn) == (1, [50.0, 60.0, 250.0, 120.0], True)
    assert active("validate", str(tmp_path / "lettre-signed.pdf")).exit_code == 0

    sealed = active(
        "seal", str(source), "--firm", "frm_ecma", "--level", "B-B", "--box", "300,700,550,780", "--page", "-1"
    )
    assert sealed.exit_code == 0, sealed.output
    page, rect, drawn = _widget(tmp_path / "lettre-sealed.pdf")
    assert (page, rect, drawn) == (2, [300.0, 700.0, 550.0, 780.0], True)

    invisible = active("seal", str(source), "--firm", "frm_ecma", "--level", "B-B", "-o", str(tmp_path / "plain.pdf"))
    assert invisible.exit_code == 0, invisible.output
    page, rect, _ = _widget(tmp_path / "plain.pdf")
    assert rect[2] - rect[0] == rect[3] - rect[1] == 0  # without --box: no visible widget

    beyond = active("seal", str(source), "--firm", "frm_ecma", "--box", "50,60,250,120", "--page", "4")
    assert beyond.exit_code == 1
    assert "there is no page 4" in beyond.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--page", "2"], "--page place a visible signature: give its --box too"),
        (["--text", "Bon pour accord", "--font", "{pdf}"], "--text, --font place a visible signature"),
        (["--box", "50,60,250"], "'50,60,250' is not X1,Y1,X2,Y2"),
        (["--box", "50,60,abc,120"], "is not X1,Y1,X2,Y2"),
        (["--box", "250,60,50,120"], "'250,60,50,120' is an empty box"),
        (["--box", "-5,60,50,120"], "none negative"),
        (["--box", "50,60,250,120", "--page", "0"], "pages count from 1"),
        (["--box", "50,60,250,120", "--text", " "], "the visible signature's text is empty"),
    ],
)
def test_visible_signature_options_are_checked_before_anything_is_sent(
    tmp_path: Path, config_dir: Path, options: list[str], message: str
) -> None:
    source = _pdf(tmp_path / "lettre.pdf")
    run = _runner("http://127.0.0.1:1", config_dir)  # nothing listens there: refused before any call
    for command in (["sign", str(source)], ["seal", str(source), "--firm", "frm_ecma"]):
        result = run(*command, *[o.format(pdf=source) for o in options])
        assert result.exit_code == 2, result.output
        assert message in " ".join(result.stderr.split())
    assert [p.name for p in tmp_path.iterdir()] == ["lettre.pdf"]  # nothing written, no login kept


# -- delegations -------------------------------------------------------------------------------------------------


@live
def test_delegations_given_used_and_withdrawn(
    live_mock: LiveMock, active: Run, tmp_path: Path, config_dir: Path
) -> None:
    luc = _runner(live_mock.url, tmp_path / "luc")
    assert luc("login", "--login-hint", "luc.martin").exit_code == 0
    source = str(_pdf(tmp_path / "facture.pdf"))
    refused = luc("seal", source, "--firm", "frm_ecma", "--level", "B-B")
    assert refused.exit_code == 1
    assert "seal_delegation_required" in refused.stderr

    before = active("delegation", "list", "--firm", "frm_ecma")
    assert before.exit_code == 0, before.output
    assert "sign     to usr_luc_martin, given by" in before.stdout

    given = active("--json", "delegation", "give", "--firm", "frm_ecma", "--to", "usr_luc_martin", "--kind", "seal")
    assert given.exit_code == 0, given.output
    delegation = json.loads(given.stdout)
    assert (delegation["user_id"], delegation["kind"], delegation["firm_id"]) == ("usr_luc_martin", "seal", "frm_ecma")
    listed = json.loads(active("--json", "delegation", "list", "--firm", "frm_ecma").stdout)["delegations"]
    assert delegation["id"] in [d["id"] for d in listed]
    assert luc("seal", source, "--firm", "frm_ecma", "--level", "B-B").exit_code == 0  # the delegation works

    again = active("delegation", "give", "--firm", "frm_ecma", "--to", "usr_luc_martin", "--kind", "seal")
    assert again.exit_code == 1
    assert "delegation_exists" in again.stderr

    withdrawn = active("delegation", "withdraw", "--firm", "frm_ecma", delegation["id"])
    assert withdrawn.exit_code == 0, withdrawn.output
    assert withdrawn.stdout == f"Delegation {delegation['id']} withdrawn from frm_ecma.\n"
    assert delegation["id"] not in active("delegation", "list", "--firm", "frm_ecma").stdout
    stopped = luc("seal", source, "--firm", "frm_ecma", "--level", "B-B", "-o", str(tmp_path / "after.pdf"))
    assert stopped.exit_code == 1  # its use stops at once
    assert not (tmp_path / "after.pdf").exists()

    not_allowed = luc("delegation", "list", "--firm", "frm_ecma")  # a collaborator
    assert not_allowed.exit_code == 1
    assert not_allowed.stderr.startswith("Error: [403 ")
    unknown = active("delegation", "withdraw", "--firm", "frm_ecma", "dlg_nope")
    assert unknown.exit_code == 1
    assert "delegation_not_found" in unknown.stderr


def test_a_delegation_of_an_unknown_kind_is_a_usage_error(config_dir: Path) -> None:
    run = _runner("http://127.0.0.1:1", config_dir)
    result = run("delegation", "give", "--firm", "frm_ecma", "--to", "usr_luc_martin", "--kind", "everything")
    assert result.exit_code == 2
    assert "'everything' is not one of 'sign', 'seal', 'prepare'" in result.stderr
    assert run("delegation", "withdraw", "dlg_1").exit_code == 2  # --firm is required


# -- the certificate: subject, error report; cancelling a request ------------------------------------------------


@live
def test_certificate_subject_shows_attribute_names(active: Run) -> None:
    shown = active("certificate", "show")
    assert shown.exit_code == 0, shown.output
    subject = next(line for line in shown.stdout.splitlines() if line.startswith("Subject:"))
    assert "serialNumber=IDCFR-X4RTBPFW4" in subject
    assert "surname=Dupont" in subject
    assert "givenName=Marie" in subject
    assert "2.5.4." not in shown.stdout
    assert "serialNumber=IDCFR-X4RTBPFW4" in json.loads(active("--json", "certificate", "show").stdout)["subject"]


@live
def test_an_error_in_the_certificate_is_reported_it_is_revoked_and_reissued(
    live_mock: LiveMock, marie: Run, documents: dict[str, Path], tmp_path: Path
) -> None:
    assert marie("enroll", *_enroll_options(documents), "--otp-from-mock-outbox").exit_code == 0
    first = json.loads(marie("--json", "certificate", "show").stdout)
    assert first["acceptance"] == "awaiting_acceptance"
    assert "jesign certificate report-error" in marie("certificate", "show").stdout

    declined = marie("certificate", "report-error", "Mon prénom est mal orthographié", stdin="n\n")
    assert declined.exit_code == 1  # asked first; "no" changes nothing
    assert f"revoke the certificate {first['id']}" in declined.stderr
    assert json.loads(marie("--json", "certificate", "show").stdout)["id"] == first["id"]

    reported = marie("--json", "certificate", "report-error", "Mon prénom est mal orthographié", "--yes")
    assert reported.exit_code == 0, reported.output
    answer = json.loads(reported.stdout)
    assert answer["revoked"] == first["id"]
    assert answer["certificate"]["id"] != first["id"]
    assert answer["certificate"]["status"] == "valid"
    assert answer["certificate"]["acceptance"] == "awaiting_acceptance"  # a new window
    listed = requests.get(f"{live_mock.url}/_mock/certificates", timeout=10).json()["data"]
    revoked = {c["id"]: c["revocation_reason"] for c in listed if c["revoked_at"]}
    assert revoked == {first["id"]: "superseded"}

    elsewhere = _runner(live_mock.url, tmp_path / "elsewhere")  # the same person, on a machine that did not enroll
    assert elsewhere("login", "--login-hint", "marie.dupont").exit_code == 0
    unknown = elsewhere("--json", "certificate", "report-error", "Mon nom", "--yes")
    assert unknown.exit_code == 1
    assert json.loads(unknown.stdout)["error"]["code"] == "trust_session_unknown"
    blank = marie("certificate", "report-error", "  ", "--yes")
    assert blank.exit_code == 2
    assert "say what is wrong in the certificate" in blank.stderr


@live
def test_the_holder_revokes_the_certificate_then_enrolls_again(
    live_mock: LiveMock, active: Run, documents: dict[str, Path]
) -> None:
    first = json.loads(active("--json", "certificate", "show").stdout)
    declined = active("certificate", "revoke", "--otp-from-mock-outbox", stdin="n\n")
    assert declined.exit_code == 1  # asked first; "no" changes nothing
    assert json.loads(active("--json", "certificate", "show").stdout)["status"] == "valid"
    revoked = active("--json", "certificate", "revoke", "--reason", "key_compromise", "--yes", "--otp-from-mock-outbox")
    assert revoked.exit_code == 0, revoked.output
    assert json.loads(revoked.stdout)["certificate"]["status"] == "revoked"
    listed = requests.get(f"{live_mock.url}/_mock/certificates", timeout=10).json()["data"]
    assert {c["id"]: c["revocation_reason"] for c in listed if c["revoked_at"]} == {first["id"]: "key_compromise"}
    status = json.loads(active("--json", "registration", "status").stdout)
    assert status["state"] == "certificate_revoked"
    assert active("enroll", *_enroll_options(documents), "--otp-from-mock-outbox").exit_code == 0
    renewed = json.loads(active("--json", "certificate", "show").stdout)
    assert (renewed["status"], renewed["id"] != first["id"]) == ("valid", True)


@live
def test_a_certificate_request_is_cancelled_before_its_agreement_only(live_mock: LiveMock, marie: Run) -> None:
    client = Client(live_mock.url)
    client.login_with_hint("marie.dupont")
    client.registration.confirm_profile(mobile_number="0612345678")
    started = client.registration.start_certificate_request()

    kept = marie("registration", "cancel", stdin="n\n")
    assert kept.exit_code == 1
    assert f"Cancel the certificate request {started.id} (created)?" in kept.stderr
    assert client.registration.status().certificate_request.state == "created"  # type: ignore[union-attr]

    cancelled = marie("registration", "cancel", "--yes")
    assert cancelled.exit_code == 0, cancelled.output
    assert cancelled.stdout == f"Certificate request {started.id} cancelled (cancelled).\n"
    status = json.loads(marie("--json", "registration", "status").stdout)
    assert status["certificate_request"]["state"] == "cancelled"

    nothing = marie("--json", "registration", "cancel", "--yes")
    assert nothing.exit_code == 1
    error = json.loads(nothing.stdout)["error"]
    assert error["code"] == "enrollment_failed"
    assert f"no certificate request to cancel: the request {started.id} is cancelled" in error["message"]
    unasked = marie("registration", "cancel")  # nothing to confirm: said at once
    assert unasked.exit_code == 1
    assert "Cancel the certificate request" not in unasked.stderr
    assert unasked.stderr.startswith("Error: no certificate request to cancel")
    after = json.loads(marie("--json", "registration", "status").stdout)
    assert after["certificate_request"]["id"] == started.id  # no new request was opened to be cancelled
