"""What the ``signing`` plan's modules share: citations, the names of refusals, signature verification."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from conformance.plans import holders

CSC_V2 = "Cloud Signature Consortium API v2.0.0.2"
SAD_RULES = (CSC_V2 + ", credentials/authorize (SAD, expiresIn)", CSC_V2 + ", signatures/signHash (SAD)")
#: What the SAD refusals may be called (the CSC spec leaves the codes to the provider; these are jesign's).
SAD_REFUSALS = ("invalid_sad", "sad_used", "sad_expired", "sad_hash_mismatch", "invalid_request")


def verifies(
    credential: holders.CscCredential,
    signature: bytes,
    digest: bytes,
    algorithm: hashes.HashAlgorithm | None = None,
) -> bool:
    """Whether ``signature`` is the credential's key's over ``digest`` (SHA-256 unless ``algorithm`` says)."""
    key = credential.certificate.public_key()
    prehashed = utils.Prehashed(algorithm or hashes.SHA256())
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, digest, ec.ECDSA(prehashed))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, digest, padding.PKCS1v15(), prehashed)
        else:
            return False
    except InvalidSignature:
        return False
    return True
