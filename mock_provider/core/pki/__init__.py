"""The mock provider's PKI: a test CA hierarchy with ETSI profiles, OCSP, CRLs and a TSA.

Framework-free: :mod:`mock_provider.api.pki` publishes it over HTTP under ``/pki``.
"""
