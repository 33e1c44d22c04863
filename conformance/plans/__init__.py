"""The plans: each module or package here registers its checks on import (see :mod:`conformance.registry`).

``smoke`` (always first: its gates, and what the login answered), ``sso`` (the SSO's OAuth 2.0 and OpenID Connect
rules), ``registration`` (steps 0 to 6 of the user guide), ``pki``, ``signing``, ``security``, ``concurrency``.
"""
