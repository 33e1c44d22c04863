"""Validation of a signed PDF: one report per signature, always, with its ETSI EN 319 102-1 indication.

Every filled signature field of the document gets a :class:`SignatureReport`, whoever signed it and however it is
made. A signature that cannot be read (its CMS object, its ``/ByteRange``) or whose SubFilter pyHanko does not
handle is reported as malformed; one whose signer's certificate does not lead to the trust roots is reported as
foreign. Nothing one signature makes pyHanko raise keeps the others from being reported.

Each readable signature is validated with pyHanko, twice:

- **now**, as a relying party would: integrity, the signature value, the path to a trust root, and revocation,
  required (``hard-fail``): fetched from the OCSP responder or the CRL when ``allow_fetching``, else taken from the
  document's DSS only (offline, nothing goes on the network: no revocation data, no certificate);
- **offline, from the document alone**, to tell the PAdES level the document carries: B-B (a valid PAdES
  signature), B-T (a time-stamp from a TSA under the trust roots), B-LT (the DSS holds what it takes to validate the
  signer and the time-stamp with no network), B-LTA (and a trusted document time-stamp covers it).

The modules: :mod:`~.validator` (the two validations and the reports), :mod:`~.indication` (the ETSI verdict from
pyHanko's status), :mod:`~.fields` (the document's signatures, readable or not), :mod:`~.report` (what the caller
gets), :mod:`~.trust_roots` (roots given as paths or bytes), :mod:`~.logs` (pyHanko's log records, kept out of the
application's logs while validating).
"""

from jesign_sdk.signing.validation.report import (
    CERTIFICATE_LEVELS,
    Indication,
    RevocationStatus,
    SignatureReport,
    certificate_level,
)
from jesign_sdk.signing.validation.trust_roots import TrustRootSource, load_trust_roots
from jesign_sdk.signing.validation.validator import async_validate, validate

__all__ = [
    "CERTIFICATE_LEVELS",
    "Indication",
    "RevocationStatus",
    "SignatureReport",
    "TrustRootSource",
    "async_validate",
    "certificate_level",
    "load_trust_roots",
    "validate",
]
