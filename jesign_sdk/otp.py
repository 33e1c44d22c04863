"""Where SMS codes come from: the person (interactive use) or the mock's outbox (automation).

An :class:`OtpSource` is asked for the code that was just sent; it gets what the trust provider said about it
(the masked number, the registration) and answers the six digits, or raises
:class:`~jesign_sdk.OtpUnavailableError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from jesign_sdk._errors import NotFoundError, OtpUnavailableError
from jesign_sdk._json import field
from jesign_sdk._requestor import Requestor, read_json

__all__ = ["MockOutboxOtpSource", "OtpRequest", "OtpSource", "PromptOtpSource"]

#: The code's field, as the trust provider's page labels it.
PROMPT = "Code SMS : "


#: What the person reads when a code they typed was refused, by the refusal's wire code (the screens' wording).
_REFUSALS = {
    "otp_invalid": "Le code saisi est incorrect",
    "otp_expired": "Ce code a expiré",
    "otp_locked": "Trop de codes erronés : ce code est bloqué",
}


@dataclass(frozen=True)
class OtpRequest:
    """What the person is told when a code is asked for: "Un code vous a été envoyé par SMS au 8795".

    The first time a code is asked for, ``refused`` is None. When the code typed before was refused, the same
    operation asks again with ``refused``, the refusal's wire code: ``otp_invalid`` (a wrong code: the same code
    stays valid and nothing was sent), ``otp_expired`` or ``otp_locked`` (then ``resent`` says whether a new code
    went out). ``attempts_remaining`` is how many more codes the operation will try, when it knows (the fewer of
    what the provider allows and what the SDK still asks for). :attr:`notice` says all that in the guide's words.
    """

    registration_id: str
    phone_masked: str
    phone_last_digits: str
    refused: str | None = None
    resent: bool = False
    attempts_remaining: int | None = None

    @property
    def notice(self) -> str:
        """What to tell the person before they type the code, in French, the number shown as the platform shows
        it (its last four digits: "au 8795")."""
        lines = []
        if self.refused is not None:
            refusal = _REFUSALS.get(self.refused, f"Le code a été refusé ({self.refused})")
            if self.attempts_remaining is not None and not self.resent:
                s = "s" if self.attempts_remaining > 1 else ""
                refusal += f" : il vous reste {self.attempts_remaining} essai{s}"
            lines.append(refusal + ".")
        if self.refused is None or self.resent:
            new = "un nouveau code" if self.resent else "un code"
            if self.phone_last_digits:
                lines.append(f"{new.capitalize()} vous a été envoyé par SMS au {self.phone_last_digits}.")
            elif self.refused is None:  # a provider that sends nothing: the code comes from the person's token or app
                lines.append(f"Le prestataire demande un code à usage unique ({self.registration_id}).")
        return "\n".join(lines)


class OtpSource(Protocol):
    """Anything with ``get_code``. A source may also say ``interactive = False`` (none is taken to be
    interactive): the signing resource then asks it for the code in the background, as soon as the code is sent,
    while pyHanko is still digesting the documents; an interactive source is asked afterwards, in the caller's
    thread."""

    def get_code(self, request: OtpRequest) -> str: ...


def is_interactive(source: OtpSource) -> bool:
    """Whether ``source`` may need a person (see :class:`OtpSource`)."""
    return bool(getattr(source, "interactive", True))


class PromptOtpSource:
    """Asks the person to type the code (``prompt`` defaults to :func:`input`): what happened
    (:attr:`OtpRequest.notice`), then "Code SMS : "."""

    def __init__(self, prompt: Callable[[str], str] = input) -> None:
        self._prompt = prompt

    def get_code(self, request: OtpRequest) -> str:
        notice = request.notice
        code = self._prompt(f"{notice}\n{PROMPT}" if notice else PROMPT).strip()
        if not code:
            raise OtpUnavailableError("no code was typed")
        return code


class MockOutboxOtpSource:
    """Reads the latest code sent to a number from the mock's outbox (``/_mock/outbox/otp``).

    Only for the mock (its control plane must be on). ``phone_number`` is the full number in E.164 form; the
    source waits up to ``timeout`` seconds for the SMS to appear.
    """

    interactive = False

    def __init__(self, requestor: Requestor, phone_number: str, *, timeout: float = 10.0) -> None:
        self._requestor = requestor
        self.phone_number = phone_number
        self.timeout = timeout

    def get_code(self, request: OtpRequest) -> str:
        if not self.phone_number.endswith(request.phone_last_digits):
            raise OtpUnavailableError(f"the code went to ...{request.phone_last_digits}, not to {self.phone_number}")
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                answer = self._requestor.request(
                    "GET", "control", "/outbox/otp", params={"phone_number": self.phone_number}
                )
                return read_json(answer, lambda body: field(body, "otp", str))
            except NotFoundError as exc:
                if time.monotonic() >= deadline:
                    raise OtpUnavailableError(f"no SMS code reached {self.phone_number}") from exc
                time.sleep(0.2)
