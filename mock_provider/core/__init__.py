"""The mock provider's framework-free core: rules, PKI, storage and the clock.

Nothing under this package imports Flask; the HTTP blueprints in :mod:`mock_provider.api` call into it.
"""
