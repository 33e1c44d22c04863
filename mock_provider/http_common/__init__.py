"""What the mock's HTTP adapters share: the API blueprints (:mod:`mock_provider.api`), the SSO
(:mod:`mock_provider.sso`) and the screens (:mod:`mock_provider.web`) import one another never, and this package
always, for what more than one of them needs:

- :mod:`~mock_provider.http_common.services`: the core services of the app answering the request;
- :mod:`~mock_provider.http_common.problems`: RFC 9457 problem+json, the one error format, and request ids;
- :mod:`~mock_provider.http_common.pages`: an HTML page and its headers, the anti-CSRF token, core errors shown in
  French next to their field, and the pages' common parts: the layouts, the error page, the form macros and the
  stylesheet (``templates/`` and ``static/`` beside it);
- :mod:`~mock_provider.http_common.oauth2_clients`: the SSO's registered clients and end users as Authlib sees
  them (the trust provider's CSC OAuth2 server trusts the same clients);
- :mod:`~mock_provider.http_common.sso_session`: who is logged in at the SSO in this browser (the CSC
  authorization page logs people in there too).

It may import the core, Flask and Authlib, never an adapter: the import contracts in ``pyproject.toml`` say so
and ``lint-imports`` checks them.
"""
