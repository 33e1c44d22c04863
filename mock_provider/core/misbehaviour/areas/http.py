"""The rule switches of the HTTP contract the parties share: problem documents, bad input, the platform's and the trust
provider's authentication.

Declarations only, listed by :mod:`mock_provider.core.misbehaviour.catalogue`; each section says where its switches
are honoured, with one guard style: ``if SWITCH in breakages:``.
"""

from __future__ import annotations

from mock_provider.core.misbehaviour.switch import declare

# -- honoured in mock_provider/api/common.py ---------------------------------------------------------------------------

SERVER_ERROR_ON_BAD_INPUT = declare(
    "server_error_on_bad_input",
    rule="Bad input is a 4xx problem, never a 500 (RFC 9110 section 15.5.1).",
    check="security.errors.no_server_error",
)

# -- honoured in mock_provider/api/problems.py -------------------------------------------------------------------------

INTERNALS_IN_ERROR_BODIES = declare(
    "internals_in_error_bodies",
    rule="Error bodies are RFC 9457 problems that reveal nothing of the server: no traceback, no SQL, no file path "
    "(RFC 9457 section 5; OWASP ASVS V7.4.1).",
    check="security.errors.no_internals",
)
PROBLEM_STATUS_MISMATCH = declare(
    "problem_status_mismatch",
    rule="A problem's status member is the HTTP status code of the response that carries it (RFC 9457 section 3.1.2).",
    check="security.errors.problem_details",
)
PROBLEM_REQUEST_ID_MISMATCH = declare(
    "problem_request_id_mismatch",
    rule="A problem's request_id is the X-Request-Id of its response, so that a caller can quote it (jesign docs, "
    "Architecture: Errors).",
    check="security.errors.problem_details",
)
PROBLEM_SERVED_AS_JSON = declare(
    "problem_served_as_json",
    rule="An error body is served as application/problem+json (RFC 9457 sections 3 and 6.1), not as plain JSON.",
    check="security.errors.problem_details",
)

# -- honoured in mock_provider/api/platform.py -------------------------------------------------------------------------

PLATFORM_WITHOUT_TOKEN = declare(
    "platform_without_token",
    rule="Every platform API route needs a valid access token: none, or a bad one, is 401 "
    "(RFC 6750 sections 2.1 and 3.1).",
    check="security.auth.platform_token_required",
)

# -- honoured in mock_provider/api/trust.py ----------------------------------------------------------------------------

TRUST_WITHOUT_TOKEN = declare(
    "trust_registration_without_token",
    rule="A registration's routes need its session token; without one they answer nothing about it.",
    check="security.auth.trust_token_required",
)
