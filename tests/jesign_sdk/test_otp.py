"""What a person is told when a one-time code is asked for (:attr:`OtpRequest.notice`), and the prompt that asks."""

from __future__ import annotations

import pytest

from jesign_sdk import OtpRequest, OtpUnavailableError, PromptOtpSource

FIRST = OtpRequest("reg_1", "********5678", "5678")


@pytest.mark.parametrize(
    ("request_", "notice"),
    [
        (FIRST, "Un code vous a été envoyé par SMS au 5678."),
        (OtpRequest("cred_1", "", ""), "Le prestataire demande un code à usage unique (cred_1)."),
        (
            OtpRequest("reg_1", "********5678", "5678", refused="otp_invalid", attempts_remaining=2),
            "Le code saisi est incorrect : il vous reste 2 essais.",
        ),
        (
            OtpRequest("reg_1", "********5678", "5678", refused="otp_invalid", attempts_remaining=1),
            "Le code saisi est incorrect : il vous reste 1 essai.",
        ),
        (OtpRequest("reg_1", "********5678", "5678", refused="otp_invalid"), "Le code saisi est incorrect."),
        (
            OtpRequest("cred_1", "", "", refused="otp_invalid", attempts_remaining=2),
            "Le code saisi est incorrect : il vous reste 2 essais.",  # nothing said of a code sent: none was
        ),
        (
            OtpRequest("reg_1", "********5678", "5678", refused="otp_locked", resent=True, attempts_remaining=1),
            "Trop de codes erronés : ce code est bloqué.\nUn nouveau code vous a été envoyé par SMS au 5678.",
        ),
        (
            OtpRequest("reg_1", "********5678", "5678", refused="otp_expired", resent=True),
            "Ce code a expiré.\nUn nouveau code vous a été envoyé par SMS au 5678.",
        ),
        (
            OtpRequest("reg_1", "********5678", "5678", refused="otp_strange", attempts_remaining=3),
            "Le code a été refusé (otp_strange) : il vous reste 3 essais.",
        ),
    ],
)
def test_the_notice_says_what_happened(request_: OtpRequest, notice: str) -> None:
    assert request_.notice == notice


def test_the_prompt_shows_the_notice_then_asks_for_the_code() -> None:
    shown: list[str] = []

    def prompt(text: str) -> str:
        shown.append(text)
        return " 123456 "

    assert PromptOtpSource(prompt).get_code(FIRST) == "123456"
    assert shown == ["Un code vous a été envoyé par SMS au 5678.\nCode SMS : "]
    with pytest.raises(OtpUnavailableError, match="no code was typed"):
        PromptOtpSource(lambda text: "  ").get_code(FIRST)
