"""The rule switches of the SSO (OpenID Connect): discovery, authorize, PKCE, tokens, the ID token, userinfo,
logout.

Declarations only, listed by :mod:`mock_provider.core.misbehaviour.catalogue`; each section says where its switches
are honoured, with one guard style: ``if SWITCH in breakages:``.
"""

from __future__ import annotations

from mock_provider.core.misbehaviour.switch import declare

# -- honoured in mock_provider/sso/blueprint.py ------------------------------------------------------------------------

TOKEN_ERRORS_AS_PROBLEMS = declare(
    "token_errors_as_problems",
    rule="The token endpoint's errors are RFC 6749 section 5.2 JSON objects (error, error_description), "
    "not RFC 9457 problems.",
    check="sso.token.error_responses",
)
TOKEN_RESPONSES_CACHEABLE = declare(
    "token_responses_cacheable",
    rule="Token responses carry Cache-Control: no-store and Pragma: no-cache.",
    check="sso.token.success_response",
)
USERINFO_WITHOUT_CHALLENGE = declare(
    "userinfo_without_challenge",
    rule="userinfo refuses a request without a valid access token with 401 and a WWW-Authenticate: Bearer challenge.",
    check="sso.userinfo.bearer_required",
)

# -- honoured in mock_provider/sso/server.py ---------------------------------------------------------------------------

FIRMS_CLAIM_OMITTED = declare(
    "firms_claim_omitted",
    rule="The SSO's identity carries the person's firms (name, SIREN, role).",
    check="registration.login.identity_claims",
)
# Honoured by SsoProvider.save_token, which consumes the code or refresh token and stores the new tokens.
CODE_REUSABLE = declare(
    "code_reusable",
    rule="An authorization code is redeemed once: the second redemption is refused with invalid_grant.",
    check="sso.code.single_use",
)
REFRESH_TOKEN_REUSABLE = declare(
    "refresh_token_reusable",
    rule="A refresh token is used once (rotation): using it again is refused with invalid_grant.",
    check="sso.refresh.single_use",
)
# A provider that trusts the lookup it made a moment before and writes without checking again: sequential replays
# are still refused (the lookup sees the use), parallel ones all get tokens.
CODE_REDEMPTION_RACE = declare(
    "code_redemption_race",
    rule="An authorization code is redeemed once, also by parallel requests.",
    check="concurrency.sso.code_redeemed_once",
)
REFRESH_RACE = declare(
    "refresh_race",
    rule="A refresh token is used once, also by parallel requests.",
    check="concurrency.sso.refresh_used_once",
)
CLIENT_AUTH_ANY_SCHEME = declare(
    "client_auth_any_scheme",
    rule="A confidential client's credentials count only in an 'Authorization: Basic' header, not under another "
    "scheme (Bearer, Digest...).",
    check="sso.token.client_authentication",
)
CLIENT_SECRET_OPTIONAL = declare(
    "client_secret_optional",
    rule="A confidential client authenticates with its secret: its client_id alone in the body is refused.",
    check="sso.token.client_authentication",
)
# Honoured by mock_provider.sso.tokens.authenticate_bearer (the Bearer authentication and its cache of valid tokens).
BEARER_ANY_SCHEME = declare(
    "bearer_any_scheme",
    rule="The platform takes the access token in an 'Authorization: Bearer' header only, not under another scheme.",
    check="sso.userinfo.bearer_scheme_only",
)
REVOKED_TOKENS_CACHED = declare(
    "revoked_tokens_cached",
    rule="An access token is refused as soon as it is revoked, also where it was accepted a moment before.",
    check="sso.code.replay_revokes_tokens",
)
EXPIRED_TOKENS_CACHED = declare(
    "expired_tokens_cached",
    rule="An access token is refused once expired, also where it was accepted while it was valid.",
    check="sso.userinfo.token_expiry",
)
RESPONSE_TYPE_ERROR_NOT_REDIRECTED = declare(
    "response_type_error_not_redirected",
    rule="An unsupported response_type is reported to the client at its registered redirect_uri "
    "(error=unsupported_response_type, with the state), not on a page of the SSO.",
    check="sso.authorize.unsupported_response_type",
)
DISCOVERY_OVERSTATES = declare(
    "discovery_overstates",
    rule="The discovery document announces only what the SSO does: not the request, request_uri and claims "
    "parameters, which it ignores.",
    check="sso.authorize.announced_parameters",
)
REFRESH_TOKEN_NEVER_EXPIRES = declare(
    "refresh_token_never_expires",
    rule="A refresh token is refused once the lifetime the SSO announces for it (30 days) has passed.",
    check="sso.refresh.expiry",
)
ACCESS_TOKEN_LIFETIME_MISANNOUNCED = declare(
    "access_token_lifetime_misannounced",
    rule="An access token lives, and its expires_in announces, the hour the SSO documents, not two.",
    check="sso.token.success_response",
)
ACCESS_TOKEN_NEVER_EXPIRES = declare(
    "access_token_never_expires",
    rule="An access token is refused once the expires_in announced with it has passed.",
    check="sso.userinfo.token_expiry",
)

# -- honoured in mock_provider/sso/endpoints.py ------------------------------------------------------------------------

LOGOUT_REDIRECTS_ANYWHERE = declare(
    "logout_redirects_anywhere",
    rule="An RP-initiated logout redirects only to a post_logout_redirect_uri registered for the client (OpenID "
    "Connect RP-Initiated Logout 1.0 section 3): never to another, which would make the OP an open redirector.",
    check="sso.logout.named_user_only",
)
LOGOUT_HINT_UNVERIFIED = declare(
    "logout_hint_unverified",
    rule="An RP-initiated logout honours an id_token_hint only if the OP issued it: its signature verifies with the "
    "OP's key (OpenID Connect RP-Initiated Logout 1.0 section 2).",
    check="sso.logout.named_user_only",
)
LOGOUT_ENDS_EVERYONE = declare(
    "logout_ends_everyone",
    rule="An RP-initiated logout ends the tokens of the End-User its id_token_hint names, not those of every person "
    "at the client (OpenID Connect RP-Initiated Logout 1.0 section 2).",
    check="sso.logout.named_user_only",
)

# -- honoured in mock_provider/sso/grants.py ---------------------------------------------------------------------------

STATE_DROPPED = declare(
    "state_dropped",
    rule="The SSO redirects back with the state the client sent.",
    check="sso.authorize.state_returned",
)
STATE_DOUBLE_DECODED = declare(
    "state_double_decoded",
    rule="The SSO returns the state as the exact value sent (not URL-decoded once more: '+' becoming a space).",
    check="sso.authorize.state_returned",
)
REDIRECT_URI_PREFIX_MATCH = declare(
    "redirect_uri_prefix_match",
    rule="The SSO matches redirect_uri exactly: a registered URI with a longer path or a query added is refused.",
    check="sso.authorize.redirect_uri_exact",
)
REDIRECT_TO_UNREGISTERED_URI = declare(
    "redirect_to_unregistered_uri",
    rule="The SSO never redirects to an unregistered redirect_uri, not even to report the error (no open redirect).",
    check="sso.authorize.redirect_uri_exact",
)
LOOPBACK_REDIRECT_URI_LOOSE = declare(
    "loopback_redirect_uri_loose",
    rule="On a loopback redirect_uri only the port may differ from the registered one: another loopback host, path, "
    "query, user part or a fragment is refused.",
    check="sso.authorize.redirect_uri_exact",
)
LOOPBACK_PORT_FIXED = declare(
    "loopback_port_fixed",
    rule="A registered loopback IP redirect_uri is accepted on any port (RFC 8252 section 7.3).",
    check="sso.authorize.loopback_any_port",
)
CODE_REPLAY_KEEPS_TOKENS = declare(
    "code_replay_keeps_tokens",
    rule="A replayed authorization code revokes the tokens issued from it.",
    check="sso.code.replay_revokes_tokens",
)
CODE_REDIRECT_URI_UNCHECKED = declare(
    "code_redirect_uri_unchecked",
    rule="A code is redeemed only with the redirect_uri of its authorization request, identical.",
    check="sso.code.bound_to_redirect_uri",
)
CODE_NOT_BOUND_TO_CLIENT = declare(
    "code_not_bound_to_client",
    rule="A code is redeemed only by the client it was issued to.",
    check="sso.code.bound_to_client",
)
CODE_NEVER_EXPIRES = declare(
    "code_never_expires",
    rule="An authorization code is refused once its 10 minutes have passed.",
    check="sso.code.expiry",
)
REFRESH_REPLAY_KEEPS_TOKENS = declare(
    "refresh_replay_keeps_tokens",
    rule="A replayed refresh token revokes the live tokens of its grant (the legitimate client's included).",
    check="sso.refresh.replay_revokes_tokens",
)
REFRESH_TOKEN_NOT_BOUND_TO_CLIENT = declare(
    "refresh_token_not_bound_to_client",
    rule="A refresh token is used only by the client it was issued to.",
    check="sso.refresh.bound_to_client",
)
REFRESH_SCOPE_WIDENED = declare(
    "refresh_scope_widened",
    rule="A refresh cannot ask for a scope wider than the one granted (invalid_scope).",
    check="sso.refresh.scope_not_widened",
)
PUBLIC_REFRESH_NOT_ROTATED = declare(
    "public_refresh_not_rotated",
    rule="A public client's refresh gives a new refresh token (rotation), the used one being refused from then on.",
    check="sso.refresh.public_client_rotated",
)
SKIP_PKCE = declare(
    "skip_pkce",
    rule="The SSO refuses an authorization request without a PKCE S256 code challenge.",
    check="registration.login.pkce_required",
)
IGNORE_CODE_VERIFIER = declare(
    "ignore_code_verifier",
    rule="The SSO refuses to redeem a code with a code_verifier that does not match its challenge.",
    check="registration.login.code_verifier_checked",
)
ALLOW_PKCE_PLAIN = declare(
    "allow_pkce_plain",
    rule="The SSO refuses an authorization request whose code_challenge_method is 'plain'.",
    check="registration.login.pkce_required",
)
PKCE_METHOD_DEFAULTS_TO_S256 = declare(
    "pkce_method_defaults_to_s256",
    rule="The SSO refuses (invalid_request, by redirect) a code_challenge sent without code_challenge_method, which "
    "means plain (RFC 7636 sections 4.3 and 4.4.1), instead of taking it for S256.",
    check="sso.pkce.method_s256_only",
)
CODE_VERIFIER_OPTIONAL = declare(
    "code_verifier_optional",
    rule="The SSO refuses to redeem a code issued with a PKCE challenge when the request carries no code_verifier.",
    check="sso.pkce.verifier_required",
)
PKCE_PLAIN_FALLBACK = declare(
    "pkce_plain_fallback",
    rule="The SSO compares the S256 of the code_verifier with the challenge, never the code_verifier itself.",
    check="sso.pkce.verifier_required",
)
CODE_VERIFIER_ANY_LENGTH = declare(
    "code_verifier_any_length",
    rule="The SSO refuses a code_verifier shorter than 43 or longer than 128 characters, even if its S256 matches.",
    check="sso.pkce.verifier_length",
)

# -- honoured in mock_provider/sso/id_token.py -------------------------------------------------------------------------

ALG_NONE = declare(
    "id_token_alg_none",
    rule="The ID token is signed (RS256, as the discovery document announces), never 'alg: none'.",
    check="sso.id_token.signature",
)
FOREIGN_KEY = declare(
    "id_token_foreign_key",
    rule="The ID token's signature verifies with the key the JWKS publishes under its kid.",
    check="sso.id_token.signature",
)
ISSUER_TRAILING_SLASH = declare(
    "id_token_issuer_trailing_slash",
    rule="The ID token's iss is exactly the discovery document's issuer (not with a trailing slash).",
    check="sso.id_token.issuer",
)
WRONG_AUDIENCE = declare(
    "id_token_wrong_audience",
    rule="The ID token's aud is the client it was issued to (not the SSO itself).",
    check="sso.id_token.audience",
)
NONCE_DROPPED = declare(
    "id_token_nonce_dropped",
    rule="The ID token carries the nonce of the authentication request.",
    check="sso.id_token.nonce",
)
NONCE_TRUNCATED = declare(
    "id_token_nonce_truncated",
    rule="The ID token's nonce is the whole value sent (not its first 32 characters).",
    check="sso.id_token.nonce",
)
EXPIRED = declare(
    "id_token_expired",
    rule="The ID token's exp is after its iat: it is not issued already expired.",
    check="sso.id_token.lifetime",
)
LOCAL_TIME = declare(
    "id_token_local_time",
    rule="The ID token's iat and exp are seconds since the epoch in UTC (not Paris time read as UTC, 2 h ahead).",
    check="sso.id_token.lifetime",
)
WRONG_AT_HASH = declare(
    "id_token_wrong_at_hash",
    rule="The ID token's at_hash is the left half of the access token's SHA-256 (not the whole hash).",
    check="sso.id_token.at_hash",
)
LONG_LIVED = declare(
    "id_token_long_lived",
    rule="The ID token lives the hour the SSO announces: exp is iat + 3600, not a day later.",
    check="sso.id_token.lifetime",
)
SUB_PER_LOGIN = declare(
    "id_token_sub_per_login",
    rule="The ID token's sub is the same at every login of a person, and the one userinfo gives.",
    check="sso.id_token.subject",
)
NONCE_REQUIRED = declare(
    "nonce_required",
    rule="The nonce is optional in the code flow: an authentication request without one gets a code.",
    check="sso.id_token.nonce",
)
