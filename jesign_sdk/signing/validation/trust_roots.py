"""Trust roots as a caller has them: a certificate file's path, or its bytes, PEM (one or several certificates) or
DER, or an asn1crypto certificate already loaded.

The caller's job is to give the roots it trusts (the provider's root, published at ``/pki/ca/root.cer``); a root
that cannot be used is a :class:`~jesign_sdk.TrustRootError` before anything is validated.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TypeAlias

from asn1crypto import pem, x509

from jesign_sdk._errors import TrustRootError
from jesign_sdk.signing.csc import load_certificate

__all__ = ["TrustRootSource", "load_trust_roots"]

#: A trust root: a certificate file's path, or its bytes (PEM, possibly several certificates, or DER), or the
#: certificate itself.
TrustRootSource: TypeAlias = "str | os.PathLike[str] | bytes | x509.Certificate"


def load_trust_roots(sources: Iterable[TrustRootSource]) -> list[x509.Certificate]:
    """The certificates of trust roots given as paths or bytes, PEM (one or more certificates) or DER.

    Raises :class:`~jesign_sdk.TrustRootError` for a file that cannot be read, bytes that are no certificate, or
    no root at all.
    """
    roots: list[x509.Certificate] = []
    for source in sources:
        if isinstance(source, x509.Certificate):
            roots.append(source)
            continue
        if isinstance(source, bytes):
            data, name = source, "the trust root given as bytes"
        else:
            name = f"trust root {source}"
            try:
                data = Path(source).read_bytes()
            except OSError as exc:
                raise TrustRootError(f"{name} cannot be read: {exc.strerror or exc}") from exc
            except TypeError as exc:
                raise TrustRootError(f"a trust root is a path, bytes or a certificate, not {source!r}") from exc
        roots += _certificates(data, name)
    if not roots:
        raise TrustRootError("no trust root given: validation needs at least one")
    return roots


def _certificates(data: bytes, name: str) -> list[x509.Certificate]:
    try:
        if pem.detect(data):
            ders = [
                der for kind, _, der in pem.unarmor(data, multiple=True) if kind in ("CERTIFICATE", "X509 CERTIFICATE")
            ]
            if not ders:
                raise ValueError("no CERTIFICATE block in the PEM")
        else:
            ders = [data]
        return [load_certificate(der) for der in ders]
    except (ValueError, TypeError) as exc:
        raise TrustRootError(f"{name} is not a PEM or DER X.509 certificate: {exc}") from exc
