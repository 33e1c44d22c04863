"""The ``jesign`` command line against the mock over HTTP, and its token store.

The login is driven as a person would drive it: ``webbrowser.open`` is replaced by a "browser" that GETs the SSO's
URL and follows its redirect to the CLI's loopback listener (the mock logs the ``--login-hint`` account in at once).
"""

from __future__ import annotations

import io
import json
import socket
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from click.testing import CliRunner, Result
from cryptography import x509

from jesign_sdk import Tokens
from jesign_sdk._tokens import TokenStore
from jesign_sdk.cli import main
from tests.conftest import LiveMock
from tests.jesign_sdk import broken_http
from tests.mock_provider.registration_helpers import colour_image, grey_image, td1

live = pytest.mark.live

Run = Callable[..., Result]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config" / "jesign"


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replaces the browser: checks that the listener is already bound, then follows the SSO's redirect to it."""
    opened: list[str] = []

    def open_url(url: str, *args: Any, **kwargs: Any) -> bool:
        opened.append(url)
        redirect_uri = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        port = urlsplit(redirect_uri).port
        assert port is not None
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass  # the listener accepts connections before the browser is sent anywhere
        answer = requests.get(url, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.url.startswith(f"http://127.0.0.1:{port}/callback?")
        assert "Connexion reçue" in answer.text
        return True

    monkeypatch.setattr("webbrowser.open", open_url)
    return opened


def _runner(base_url: str, config_dir: Path) -> Run:
    def run(*args: str, stdin: Any = None) -> Result:
        command = ["--base-url", base_url, "--config-dir", str(config_dir), *args]
        return CliRunner().invoke(main, command, input=stdin, catch_exceptions=False)

    return run


@pytest.fixture
def run(live_mock: LiveMock, config_dir: Path) -> Run:
    return _runner(live_mock.url, config_dir)


@pytest.fixture
def marie(run: Run, browser: list[str]) -> Run:
    """``run``, with Marie Dupont logged in."""
    result = run("login", "--login-hint", "marie.dupont")
    assert result.exit_code == 0, result.output
    return run


def _stored(config_dir: Path) -> dict[str, Any]:
    return dict(json.loads((config_dir / "tokens.json").read_text())["tokens"])


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- login, logout, whoami ---------------------------------------------------------------------------------------


@live
def test_login_through_the_loopback_listener(
    live_mock: LiveMock, run: Run, browser: list[str], config_dir: Path
) -> None:
    result = run("login", "--login-hint", "marie.dupont")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Logged in to {live_mock.url} as Marie Dupont <marie.dupont@cabinet-ecma.example.com>.\n"
    assert len(browser) == 1
    query = parse_qs(urlsplit(browser[0]).query)
    assert query["client_id"] == ["jesign-cli"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["login_hint"] == ["marie.dupont"]
    assert browser[0] in result.stderr  # printed for copy-paste as well
    entry = _stored(config_dir)[live_mock.url]
    assert entry["claims"]["sub"] == "usr_marie_dupont"
    for secret in (entry["access_token"], entry["refresh_token"], entry["id_token"]):
        assert secret not in result.output


@live
def test_login_json_tells_who_without_tokens(run: Run, browser: list[str]) -> None:
    result = run("--json", "login", "--login-hint", "luc.martin")
    assert result.exit_code == 0, result.output
    who = json.loads(result.stdout)
    assert (who["sub"], who["email"]) == ("usr_luc_martin", "luc.martin@cabinet-ecma.example.com")
    assert not {"access_token", "refresh_token", "id_token"} & who.keys()


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
def test_whoami_lists_a_collaborators_delegations(run: Run, browser: list[str]) -> None:
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


class _CodeFromOutbox(io.RawIOBase):
    """Stdin that answers the SMS code prompt with the code the mock just sent (read when the prompt reads)."""

    def __init__(self, live: LiveMock, phone: str) -> None:
        self._live, self._phone, self._done = live, phone, False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._done:
            return 0
        self._done = True
        answer = requests.get(f"{self._live.url}/_mock/outbox/otp", params={"phone_number": self._phone}, timeout=10)
        line = f"{answer.json()['otp']}\n".encode()
        buffer[: len(line)] = line
        return len(line)


@live
def test_enroll_prompts_for_the_sms_code(live_mock: LiveMock, marie: Run, documents: dict[str, Path]) -> None:
    stdin = io.BufferedReader(_CodeFromOutbox(live_mock, "+33612345678"))
    result = marie("enroll", *_enroll_options(documents), stdin=stdin)
    assert result.exit_code == 0, result.output
    assert "Code SMS envoyé au ...5678 : " in result.stderr
    assert "Status:       valid" in result.stdout


@live
def test_enroll_prompts_for_what_is_missing(
    live_mock: LiveMock, run: Run, browser: list[str], documents: dict[str, Path]
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


@pytest.mark.parametrize("content", ["", "not json", "[]", '{"tokens": {"http://a.example": {"nope": 1}}}'])
def test_an_unreadable_token_store_counts_as_empty(tmp_path: Path, content: str) -> None:
    store = TokenStore(tmp_path)
    store.path.write_text(content)
    assert store.load("http://a.example") is None
    store.save("http://a.example", _tokens())
    assert store.load("http://a.example") == _tokens()
