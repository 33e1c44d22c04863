"""The mock provider's framework-free core: rules, PKI, storage and the clock.

Nothing under this package imports Flask, a server or an adapter (the contract ``core-knows-no-http`` in
``pyproject.toml``, checked by ``lint-imports``); the adapters (:mod:`mock_provider.api`, :mod:`mock_provider.sso`,
:mod:`mock_provider.web`) call into it.
"""
