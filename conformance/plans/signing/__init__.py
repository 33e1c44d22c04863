"""The ``signing`` plan: remote signing through the CSC API, and PAdES signatures made with the SDK.

Modules, in running order:

- ``csc``: the credentials an active accountant may use (personal SCAL2, the firms' seals SCAL1), described value
  for value by ``credentials/info``; ``numSignatures`` at ``multisign`` and one beyond; ``signatures/timestamp``;
- ``sign_hash``: a signature made by ``signatures/signHash`` verifies with the credential's certificate; a
  ``signAlgo`` for another key type, or whose digest contradicts ``hashAlgorithmOID``, is refused;
- ``sad``: the Signature Activation Data is bound to its hashes, its credential and its user, signs as many
  signatures as it was authorized for, once, until (and not after) it expires;
- ``oauth2``: the provider's own OAuth2 (``oauth2code``), where ``info`` offers it: PKCE S256 required, codes once
  (also in parallel) and bound to their redirect_uri; a credential authorized by its owner only and, SCAL2, with the
  SMS code; a credential-scope token signs its hashes, with its credential, up to its count, once, and nothing else;
- ``hash``: a hash whose length does not fit its algorithm is refused; SHA-384 and SHA-512 hashes, where the
  credential names algorithms over them, are authorized and signed over their digest;
- ``seal``: a collaborator without the seal delegation cannot use the firm's seal;
- ``platform``: the platform's rules over the personal certificate: suspended until the terms are accepted (step 6),
  and for a collaborator while it holds no ``sign`` delegation, a SAD obtained before a withdrawal included
  (``second_accountant`` and ``collaborator_delegated`` register through the platform for it);
- ``pades``: a PDF signed through the SDK at each PAdES baseline level (B-B, B-T, B-LT, B-LTA) validates with
  pyHanko and reaches that level;
- ``codes``: at most ``rules.signing_codes_per_hour`` SMS codes for one credential within an hour, the next one
  allowed at the ``Retry-After`` the refusal gives, not a second before; after an error report reissues a
  certificate, the new credential's code is its own. Each registers an account of its own through the platform
  (``second_accountant``, ``no_mobile``), so that its codes and its reissue touch nothing of the plan's holder;
- ``credential``: a credential signs nothing before its certificate's notBefore nor after its notAfter; a revoked
  credential authorizes and signs nothing (runs last: it revokes the holder's certificate, through the harness).

Every other check uses the plan's holder (:func:`conformance.plans.holders.accountant`).
"""

import importlib

#: The modules in running order (importing them registers their checks in this order).
MODULES = ("csc", "sign_hash", "sad", "oauth2", "hash", "seal", "platform", "pades", "codes", "credential")
for _name in MODULES:
    importlib.import_module(f"{__name__}.{_name}")
