"""Step 3 of the registration: judging the identity document the applicant uploads (pièce d'identité recto/verso).

The trust provider (Universign, registration authority) only issues a personal certificate against a readable
colour copy of a valid identity document whose holder is the applicant. This module is the mock's judge of that,
framework-free (no Flask, no SQLAlchemy) so that the HTTP blueprint, the screens and the tests share one set of
rules:

* :func:`parse_document_type` reads a document type such as ``id_card:fra``, ``passport:bel`` or
  ``residence_permit:fra`` into a :class:`DocumentType` (which sides are needed, the serial-number prefix and
  country the certificate will carry).
* :func:`inspect_image` judges one uploaded side **by its content, never by its file name or declared media
  type**: JPEG, PNG or PDF only; not empty, not over the size limit; an image must be at least
  :data:`MIN_LONG_SIDE` x :data:`MIN_SHORT_SIDE` pixels and at most :data:`DEFAULT_MAX_PIXELS`, decode completely
  (a truncated or corrupt file is refused) and be in **colour** (a greyscale scan is refused). It judges the
  header first and decodes at most once, within :data:`DEFAULT_MAX_DECODE_BYTES` (see
  :mod:`mock_provider.core.images`), so that one upload costs a bounded amount of memory whatever it announces.
  :func:`inspect_document` applies it to the front and back together ("front always, back when the type has
  one").
* :func:`check_mrz` verifies a machine-readable zone (ICAO Doc 9303: TD1 for identity cards and residence
  permits, TD3 for passports) typed or read from the document: structure, every check digit, and consistency
  with the document type, the applicant's names and birth date, and the expiry date.

Every refusal raises :class:`DocumentError`, a :class:`~mock_provider.core.errors.InvalidInput` with a stable
snake_case ``code``, a short English ``message`` and the form ``field`` it concerns (``front``, ``back``,
``document_type``, ``mrz``). The HTTP layer answers it as an RFC 9457 problem with that field error in
``errors[]`` (already filled in), stores nothing and leaves the registration in its state; the screens show the
message next to the field. Nothing here touches storage or the clock: the caller passes ``today``.
"""

from __future__ import annotations

from mock_provider.core.documents.inspection import (
    COLOUR_MIN_SHARE,
    DEFAULT_MAX_DECODE_BYTES,
    DEFAULT_MAX_PIXELS,
    GREY_SPREAD_THRESHOLD,
    MIN_LONG_SIDE,
    MIN_SHORT_SIDE,
    InspectedFile,
    inspect_document,
    inspect_image,
)
from mock_provider.core.documents.kinds import (
    ICAO_SPECIMEN_STATE,
    ISO3166_ALPHA3,
    ISO3166_ALPHA3_TO_ALPHA2,
    DocumentError,
    DocumentKind,
    DocumentType,
    parse_document_type,
)
from mock_provider.core.documents.mrz import MrzResult, check_mrz, icao_name, mrz_check_digit

__all__ = [
    "COLOUR_MIN_SHARE",
    "DEFAULT_MAX_DECODE_BYTES",
    "DEFAULT_MAX_PIXELS",
    "GREY_SPREAD_THRESHOLD",
    "ICAO_SPECIMEN_STATE",
    "ISO3166_ALPHA3",
    "ISO3166_ALPHA3_TO_ALPHA2",
    "MIN_LONG_SIDE",
    "MIN_SHORT_SIDE",
    "DocumentError",
    "DocumentKind",
    "DocumentType",
    "InspectedFile",
    "MrzResult",
    "check_mrz",
    "icao_name",
    "inspect_document",
    "inspect_image",
    "mrz_check_digit",
    "parse_document_type",
]
