"""The ``pki`` plan: what the provider's PKI issues and publishes, every field judged for its value.

Modules, in running order:

- ``profile``: the certificates at each level (``lcp``, ``qcp``, ``qcpnqscd``: ETSI EN 319 412-2 with the QC
  statements of EN 319 412-5) and the firm's seal (EN 319 412-3): policies, QC statements and their values, key
  usage, the subject's names and identifiers compared with the person's and the firm's;
- ``chain``: each certificate chains to the published root, its authority key identifier names its issuer's key,
  its validity lies within its issuer's, and the AIA caIssuers URLs serve the issuers;
- ``crl``: the CRL distribution points answer a CRL signed by the CA, current, naming the CA's key, under CRL
  numbers that only grow, that lists a revoked certificate with its reason and date, and still lists it in the
  next CRL;
- ``ocsp``: the OCSP responder named in the AIA says good, revoked (and still revoked later) and unknown rightly,
  answers the CertID asked, names its signer in the ResponderID, dates its answers sanely against the target's
  clock, signs as RFC 6960 wants, echoes nonces, and answers nonces of 1 to 128 octets but rejects the others
  (RFC 9654);
- ``tsa``: the time-stamping authority's tokens carry the request's imprint, nonce and policy (or refuse a policy
  it does not support), a genTime near the target's clock, a signing-certificate attribute holding the TSA
  certificate's hash, a unique serial, and verify.

The certificates come from the plan's holder (:func:`conformance.plans.holders.accountant`: the personal
certificate at the default level and the firm's seal) and from registrations at the other levels
(:func:`conformance.plans.holders.issued_at_level`). Revocation checks revoke the LCP certificate through the
harness, and are SKIPPED when it cannot.
"""

import importlib

#: The modules in running order (importing them registers their checks in this order).
MODULES = ("profile", "chain", "crl", "ocsp", "tsa")
for _name in MODULES:
    importlib.import_module(f"{__name__}.{_name}")
