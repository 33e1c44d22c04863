"""The sso plan: the SSO as an OpenID Connect provider and OAuth 2.0 authorization server, rule by rule, each rule
tried the way an attacker or a careless client would break it (RFC 6749, RFC 6750, RFC 7636, RFC 9700, OpenID
Connect Core 1.0).

Its modules, in running order: ``authorize`` (state, redirect_uri), ``id_token`` (each claim a relying party
validates), ``code`` (single use, bound to its client and redirect_uri, expiry), ``pkce`` (the verifier),
``refresh`` (rotation, replay, binding, scope), ``token`` (the token endpoint's answers), ``userinfo`` (the Bearer
token), ``logout`` (RP-initiated logout ends the named End-User's access only). The checks that the login of step 0
itself makes (PKCE required, the verifier checked, the identity claims) are the registration plan's
``registration.login``; the docs page "SSO checks" lists them all by source.
"""

import importlib

#: The modules in running order (importing them registers their checks in this order).
MODULES = ("authorize", "id_token", "code", "pkce", "refresh", "token", "userinfo", "logout")
for _name in MODULES:
    importlib.import_module(f"{__name__}.{_name}")
