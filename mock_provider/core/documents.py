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

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from PIL import Image, ImageChops

from mock_provider.core import images
from mock_provider.core.errors import InvalidInput

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


class DocumentError(InvalidInput):
    """An identity document refused. ``code`` is stable snake_case, ``message`` short English, ``field`` the form
    field at fault (``front``, ``back``, ``document_type``, ``mrz``…).

    It is an :class:`InvalidInput` (HTTP 400) whose ``errors`` hold the one RFC 9457 field error
    ``{"field", "code", "detail"}``, kept in step with ``field`` (a caller may reassign it, e.g. to ``back``), so
    the problem+json handler needs nothing more.
    """

    title = "Identity document refused"
    _field: str

    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(message, code=code)
        self.message = message
        self.field = field  # also fills ``errors``

    @property
    def field(self) -> str:
        return self._field

    @field.setter
    def field(self, value: str) -> None:
        self._field = value
        self.errors = [self._field_error()]

    def _field_error(self) -> dict[str, str]:
        return {"field": self._field, "code": self.code, "detail": self.message}

    def __repr__(self) -> str:
        return f"DocumentError({self.code!r}, {self.message!r}, field={self._field!r})"


# --------------------------------------------------------------------------------------------------------------
# Countries
# --------------------------------------------------------------------------------------------------------------

# ISO 3166-1, all 249 officially assigned codes, as ALPHA3=ALPHA2 (from Debian's iso-codes 4.15).
_ISO3166 = (
    "ABW=AW AFG=AF AGO=AO AIA=AI ALA=AX ALB=AL AND=AD ARE=AE ARG=AR ARM=AM ASM=AS ATA=AQ ATF=TF ATG=AG AUS=AU "
    "AUT=AT AZE=AZ BDI=BI BEL=BE BEN=BJ BES=BQ BFA=BF BGD=BD BGR=BG BHR=BH BHS=BS BIH=BA BLM=BL BLR=BY BLZ=BZ "
    "BMU=BM BOL=BO BRA=BR BRB=BB BRN=BN BTN=BT BVT=BV BWA=BW CAF=CF CAN=CA CCK=CC CHE=CH CHL=CL CHN=CN CIV=CI "
    "CMR=CM COD=CD COG=CG COK=CK COL=CO COM=KM CPV=CV CRI=CR CUB=CU CUW=CW CXR=CX CYM=KY CYP=CY CZE=CZ DEU=DE "
    "DJI=DJ DMA=DM DNK=DK DOM=DO DZA=DZ ECU=EC EGY=EG ERI=ER ESH=EH ESP=ES EST=EE ETH=ET FIN=FI FJI=FJ FLK=FK "
    "FRA=FR FRO=FO FSM=FM GAB=GA GBR=GB GEO=GE GGY=GG GHA=GH GIB=GI GIN=GN GLP=GP GMB=GM GNB=GW GNQ=GQ GRC=GR "
    "GRD=GD GRL=GL GTM=GT GUF=GF GUM=GU GUY=GY HKG=HK HMD=HM HND=HN HRV=HR HTI=HT HUN=HU IDN=ID IMN=IM IND=IN "
    "IOT=IO IRL=IE IRN=IR IRQ=IQ ISL=IS ISR=IL ITA=IT JAM=JM JEY=JE JOR=JO JPN=JP KAZ=KZ KEN=KE KGZ=KG KHM=KH "
    "KIR=KI KNA=KN KOR=KR KWT=KW LAO=LA LBN=LB LBR=LR LBY=LY LCA=LC LIE=LI LKA=LK LSO=LS LTU=LT LUX=LU LVA=LV "
    "MAC=MO MAF=MF MAR=MA MCO=MC MDA=MD MDG=MG MDV=MV MEX=MX MHL=MH MKD=MK MLI=ML MLT=MT MMR=MM MNE=ME MNG=MN "
    "MNP=MP MOZ=MZ MRT=MR MSR=MS MTQ=MQ MUS=MU MWI=MW MYS=MY MYT=YT NAM=NA NCL=NC NER=NE NFK=NF NGA=NG NIC=NI "
    "NIU=NU NLD=NL NOR=NO NPL=NP NRU=NR NZL=NZ OMN=OM PAK=PK PAN=PA PCN=PN PER=PE PHL=PH PLW=PW PNG=PG POL=PL "
    "PRI=PR PRK=KP PRT=PT PRY=PY PSE=PS PYF=PF QAT=QA REU=RE ROU=RO RUS=RU RWA=RW SAU=SA SDN=SD SEN=SN SGP=SG "
    "SGS=GS SHN=SH SJM=SJ SLB=SB SLE=SL SLV=SV SMR=SM SOM=SO SPM=PM SRB=RS SSD=SS STP=ST SUR=SR SVK=SK SVN=SI "
    "SWE=SE SWZ=SZ SXM=SX SYC=SC SYR=SY TCA=TC TCD=TD TGO=TG THA=TH TJK=TJ TKL=TK TKM=TM TLS=TL TON=TO TTO=TT "
    "TUN=TN TUR=TR TUV=TV TWN=TW TZA=TZ UGA=UG UKR=UA UMI=UM URY=UY USA=US UZB=UZ VAT=VA VCT=VC VEN=VE VGB=VG "
    "VIR=VI VNM=VN VUT=VU WLF=WF WSM=WS YEM=YE ZAF=ZA ZMB=ZM ZWE=ZW"
)

#: ISO 3166-1 alpha-3 → alpha-2, for every officially assigned country code.
ISO3166_ALPHA3_TO_ALPHA2: Final[Mapping[str, str]] = {
    alpha3: alpha2 for alpha3, _, alpha2 in (pair.partition("=") for pair in _ISO3166.split())
}
#: The 249 ISO 3166-1 alpha-3 codes: the countries whose passports :func:`parse_document_type` accepts.
ISO3166_ALPHA3: Final[frozenset[str]] = frozenset(ISO3166_ALPHA3_TO_ALPHA2)

#: "Utopia", the fictitious state of ICAO Doc 9303's specimens. Accepted as a document country only when the
#: caller asks for it (``allow_icao_specimen=True``, for tests and demonstrations), never by default.
ICAO_SPECIMEN_STATE: Final = "UTO"

# Codes that ICAO Doc 9303 Part 3 allows in an MRZ besides ISO 3166-1 (nationality or issuing-state fields):
# Germany's one-letter D, British nationals other than citizens, the United Nations, the EU, Kosovo, other
# international organisations, stateless persons and refugees, and the specimen state.
_ICAO_MRZ_ONLY_CODES: Final = frozenset({
    "D", "GBD", "GBN", "GBO", "GBP", "GBS", "UNO", "UNA", "UNK", "EUE", "RKS", "XBA", "XCC", "XCE", "XCO", "XDC",
    "XEC", "XES", "XIM", "XMP", "XOM", "XPO", "XXA", "XXB", "XXC", "XXX", ICAO_SPECIMEN_STATE,
})  # fmt: skip
_MRZ_CODE_ALIASES: Final[Mapping[str, str]] = {"D": "DEU"}  # Germany writes D<< in its MRZs


# --------------------------------------------------------------------------------------------------------------
# Document types
# --------------------------------------------------------------------------------------------------------------

DocumentKind = Literal["id_card", "passport", "residence_permit"]


@dataclass(frozen=True, slots=True)
class DocumentType:
    """What the applicant says the document is. Build it with :func:`parse_document_type`.

    ``serial_prefix`` is the ETSI EN 319 412-1 identity type reference that the certificate's subject
    serialNumber starts with, ``alpha2`` the country that follows it: ``IDCFR-…`` for a French identity card or
    residence permit, ``PASBE-…`` for a Belgian passport.
    """

    kind: DocumentKind
    country: str  # ISO 3166-1 alpha-3, upper case
    alpha2: str
    needs_back: bool
    serial_prefix: Literal["IDC", "PAS"]

    @property
    def code(self) -> str:
        """The canonical text form, e.g. ``passport:bel``."""
        return f"{self.kind}:{self.country.lower()}"

    @property
    def mrz_format(self) -> Literal["TD1", "TD3"]:
        """The ICAO 9303 size of the document's MRZ: TD3 (2 x 44) for passports, TD1 (3 x 30) otherwise."""
        return "TD3" if self.kind == "passport" else "TD1"

    @property
    def label_fr(self) -> str:
        """The French name the screens show."""
        return _LABELS_FR[self.kind]


_LABELS_FR: Final[Mapping[str, str]] = {
    "id_card": "Carte nationale d'identité",
    "passport": "Passeport",
    "residence_permit": "Titre de séjour",
}
# kind → (needs a back side, certificate serial prefix, the only country accepted or None for any)
_KINDS: Final[Mapping[str, tuple[bool, Literal["IDC", "PAS"], str | None]]] = {
    "id_card": (True, "IDC", "FRA"),
    "passport": (False, "PAS", None),
    "residence_permit": (True, "IDC", "FRA"),
}
_DOCUMENT_TYPE = re.compile(r"^([a-z_]+):([a-z]{3})$", re.IGNORECASE | re.ASCII)


def parse_document_type(text: str, *, allow_icao_specimen: bool = False) -> DocumentType:
    """Read ``kind:country`` (case-insensitive, surrounding blanks ignored) into a :class:`DocumentType`.

    Accepted: ``id_card:fra`` and ``residence_permit:fra`` (front and back), ``passport:<alpha-3>`` for any of
    the 249 ISO 3166-1 countries (front only). With ``allow_icao_specimen`` the ICAO specimen state ``UTO`` is
    accepted too, for every kind (its alpha-2 is the user-assigned ``ZZ``). Raises :class:`DocumentError`
    ``invalid_document_type`` otherwise.
    """
    match = _DOCUMENT_TYPE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise _type_error(f"the document type must look like 'passport:fra', not {str(text)[:40]!r}")
    kind, country = match.group(1).lower(), match.group(2).upper()
    if kind not in _KINDS:
        raise _type_error(f"unknown document kind {kind!r}: use id_card, passport or residence_permit")
    needs_back, prefix, only_country = _KINDS[kind]
    if allow_icao_specimen and country == ICAO_SPECIMEN_STATE:
        alpha2 = "ZZ"
    elif country not in ISO3166_ALPHA3:
        raise _type_error(f"{country} is not an ISO 3166-1 alpha-3 country code")
    elif only_country is not None and country != only_country:
        raise _type_error(f"only French documents of kind {kind} are accepted ({kind}:{only_country.lower()})")
    else:
        alpha2 = ISO3166_ALPHA3_TO_ALPHA2[country]
    return DocumentType(kind, country, alpha2, needs_back, prefix)  # type: ignore[arg-type]


def _type_error(message: str) -> DocumentError:
    return DocumentError("invalid_document_type", message, field="document_type")


# --------------------------------------------------------------------------------------------------------------
# Uploaded files
# --------------------------------------------------------------------------------------------------------------

#: Smallest accepted image, in pixels, whatever its orientation: below this nothing on a card is legible.
MIN_LONG_SIDE: Final = 200
MIN_SHORT_SIDE: Final = 120
#: Largest accepted image, in pixels: 25 megapixels, read from the header before anything is decoded, so that
#: a small file announcing a huge image (a decompression bomb) costs nothing. The document itself needs far
#: less: at 600 dpi, which keeps the MRZ's 2.5 mm OCR-B characters and the portrait sharp, an ID-1 card
#: (85.6 x 54 mm) is 2022 x 1276 pixels (2.6 MP) and a passport's ID-3 data page (125 x 88 mm) 2953 x 2079
#: (6.1 MP). The limit is set by the photo as phones save it, the card filling part of the frame, so that
#: nobody has to resize: 12 MP by default on most phones (4000 x 3000, 4032 x 3024, 4080 x 3072: their 48 to
#: 200 MP sensors are binned), 24 MP on recent iPhones (5712 x 4284 = 24.5 MP, a HEIC that the browser turns
#: into a JPEG when it uploads it) and on 24 MP cameras (6000 x 4000). The opt-in 48 or 50 MP modes are
#: refused: twice what any reading of the card can use.
DEFAULT_MAX_PIXELS: Final = 25_000_000
#: Most memory the judgement of one image may hold, as its header lets :func:`mock_provider.core.images.probe`
#: bound it: 64 MiB, so that one upload stays under 100 MB of peak memory growth with the decoders' and
#: Python's own (``bench/image_memory_bench.py`` measures it). A JPEG is decoded at 1/8 scale, about 1/16 byte a
#: pixel: every JPEG a phone or camera writes fits, up to the pixel limit. Two encodings must hold the whole
#: image, and meet this bound before the pixel limit: a progressive (or multi-scan) JPEG, whose DCT coefficients
#: libjpeg keeps at every scale (3 bytes a pixel in 4:2:0: up to 22 MP; 6 in 4:4:4: up to 11 MP), and a PNG,
#: which has no reduced decode (4 bytes a pixel in RGB or RGBA: up to 4096 x 4096; 1 for a palette: up to the
#: pixel limit). No photo of a card needs more: a PNG photo of 16 MP does not fit in 10 MB anyway.
DEFAULT_MAX_DECODE_BYTES: Final = 64 * 1024 * 1024

#: Colour test. The image is box-averaged into a sample of at most 256 x 256 pixels
#: (:func:`mock_provider.core.images.colour_sample`: a JPEG decoded at 1/2, 1/4 or 1/8 scale first, any image
#: reduced strip by strip, never copied whole); a pixel of the sample is *chromatic* when
#: max(R, G, B) - min(R, G, B) ≥ :data:`GREY_SPREAD_THRESHOLD` (out of 255); the image is in colour when at least
#: :data:`COLOUR_MIN_SHARE` of the sample's pixels are chromatic. A share rather than a single pixel keeps a grey
#: scan grey despite a coloured pen mark, and the box average despite colour noise or compression artefacts; a
#: colour photo of any identity document (tinted background, portrait, flag) is far above it.
GREY_SPREAD_THRESHOLD: Final = 20
COLOUR_MIN_SHARE: Final = 0.01

_PDF_HEADER = re.compile(rb"%PDF-(?:1\.[0-7]|2\.0)")
_PDF_EOF_WINDOW: Final = 1024  # "%%EOF" must appear within the last 1024 bytes, as readers require
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE: Final = b"\xff\xd8\xff"
# Formats recognised only to name them in the refusal.
_OTHER_FORMATS: Final[tuple[tuple[bytes, int, str], ...]] = (
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
    (b"BM", 0, "BMP"),
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
    (b"WEBP", 8, "WebP"),
    (b"ftyp", 4, "HEIC/HEIF/AVIF"),
    (b"\x00\x00\x00\x0cjP  ", 0, "JPEG 2000"),
)

MediaType = Literal["image/jpeg", "image/png", "application/pdf"]
_EXTENSIONS: Final[Mapping[str, str]] = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


@dataclass(frozen=True, slots=True)
class InspectedFile:
    """An accepted upload, as judged from its bytes.

    ``width`` and ``height`` are the stored pixel size (EXIF orientation not applied), ``None`` for a PDF.
    ``colour_checked`` is ``False`` for a PDF: judging its colour would need rendering it, which the mock does
    not do, so a PDF is accepted on its structure alone.
    """

    media_type: MediaType
    size: int
    sha256: str
    width: int | None
    height: int | None
    colour_checked: bool

    @property
    def extension(self) -> str:
        """``.jpg``, ``.png`` or ``.pdf``: the extension to store the file under, whatever it was uploaded as."""
        return _EXTENSIONS[self.media_type]


def inspect_image(
    data: bytes,
    *,
    max_bytes: int,
    field: str = "front",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decode_bytes: int = DEFAULT_MAX_DECODE_BYTES,
) -> InspectedFile:
    """Judge one uploaded side of an identity document from its content alone.

    Checks, in this order, each refusal a :class:`DocumentError` on ``field``; every check up to the colour of
    the pixels reads the header only, and nothing is decoded before they all pass:

    * ``document_empty``: no bytes;
    * ``document_too_large``: more than ``max_bytes`` bytes (the HTTP layer should also cap the request body, so
      that the bytes never reach memory);
    * ``unsupported_document_format``: not JPEG, PNG or PDF by its magic bytes (GIF, BMP, TIFF, WebP, HEIC,
      text… whatever its name or declared type);
    * ``document_unreadable``: a PDF without a ``%PDF-1.x``/``%PDF-2.0`` header or a final ``%%EOF``; an image
      whose header Pillow cannot read;
    * ``document_too_many_pixels``: an image whose header announces more than ``max_pixels`` pixels
      (:data:`DEFAULT_MAX_PIXELS`, a decompression bomb among others);
    * ``document_too_small``: an image under :data:`MIN_LONG_SIDE` x :data:`MIN_SHORT_SIDE` pixels (either way);
    * ``document_too_many_pixels`` again: an image whose judgement would hold more than ``max_decode_bytes``
      (:data:`DEFAULT_MAX_DECODE_BYTES`; the message says how much): a progressive JPEG or a PNG with too many
      pixels for its encoding, or a PNG whose text chunks inflate to more than the budget leaves;
    * ``document_not_in_colour``: a greyscale mode (1, L, LA, I;16…), known from the header;
    * ``document_unreadable``: an image that does not decode completely (truncated, corrupt, a PNG chunk with a
      wrong CRC), decoded once, at reduced scale where the format allows;
    * ``document_not_in_colour``: an image whose pixels are (nearly) all neutral by the test documented at
      :data:`GREY_SPREAD_THRESHOLD`.

    PDFs are accepted on their structure alone, without a colour check (``colour_checked=False``): that would
    need rendering them; they cost no decode. The decoded image is released before this returns or raises.
    Pillow's process-wide settings (``MAX_IMAGE_PIXELS``, warning filters) are neither read nor changed.
    """
    size = len(data)
    if size == 0:
        raise DocumentError("document_empty", "the file is empty", field=field)
    if size > max_bytes:
        raise DocumentError(
            "document_too_large", f"the file is {size} bytes, more than the {max_bytes} allowed", field=field
        )
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(b"%PDF-"):
        _check_pdf(data, field)
        return InspectedFile("application/pdf", size, digest, None, None, colour_checked=False)
    if data.startswith(_JPEG_SIGNATURE):
        width, height = _judge_image(data, "JPEG", field, max_pixels, max_decode_bytes)
        return InspectedFile("image/jpeg", size, digest, width, height, colour_checked=True)
    if data.startswith(_PNG_SIGNATURE):
        width, height = _judge_image(data, "PNG", field, max_pixels, max_decode_bytes)
        return InspectedFile("image/png", size, digest, width, height, colour_checked=True)
    found = next((name for magic, at, name in _OTHER_FORMATS if data[at : at + len(magic)] == magic), None)
    what = f"{found} files are" if found else "this format is"
    raise DocumentError(
        "unsupported_document_format", f"{what} not accepted: send a JPEG, PNG or PDF file", field=field
    )


def inspect_document(
    document_type: DocumentType,
    *,
    front: bytes | None,
    back: bytes | None,
    max_bytes: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decode_bytes: int = DEFAULT_MAX_DECODE_BYTES,
) -> tuple[InspectedFile, InspectedFile | None]:
    """Judge both sides for ``document_type``: the front always, the back exactly when the type has one.

    Refusals: ``document_missing`` (front, or back of an identity card or residence permit), ``document_unexpected``
    (a back for a passport), and every refusal of :func:`inspect_image` with its field ``front`` or ``back``. The
    sides are judged one after the other, the first one's decoded image released before the second is decoded.
    """
    if not front:
        raise DocumentError("document_missing", "the front of the document is required", field="front")
    if document_type.needs_back and not back:
        raise DocumentError("document_missing", "the back of the document is required", field="back")
    if not document_type.needs_back and back:
        raise DocumentError(
            "document_unexpected", f"a {document_type.kind.replace('_', ' ')} has no back side to send", field="back"
        )
    limits = {"max_bytes": max_bytes, "max_pixels": max_pixels, "max_decode_bytes": max_decode_bytes}
    inspected_front = inspect_image(front, field="front", **limits)
    inspected_back = inspect_image(back, field="back", **limits) if back else None
    return inspected_front, inspected_back


def _check_pdf(data: bytes, field: str) -> None:
    if not _PDF_HEADER.match(data):
        raise DocumentError("document_unreadable", "the PDF header is not %PDF-1.x or %PDF-2.0", field=field)
    if b"%%EOF" not in data[-_PDF_EOF_WINDOW:]:
        raise DocumentError("document_unreadable", "the PDF is truncated (no %%EOF at its end)", field=field)


def _judge_image(
    data: bytes, format: images.Format, field: str, max_pixels: int, max_decode_bytes: int
) -> tuple[int, int]:
    """The image checks of :func:`inspect_image`: the header's first, then one bounded decode; answers the size."""
    try:
        header = images.probe(data, format)
    except images.UnreadableImage as exc:
        raise _unreadable(field) from exc
    width, height = header.width, header.height
    if header.pixels > max_pixels:
        raise DocumentError(
            "document_too_many_pixels",
            f"the image is {width} x {height} pixels, more than {max_pixels} pixels in all",
            field=field,
        )
    if max(width, height) < MIN_LONG_SIDE or min(width, height) < MIN_SHORT_SIDE:
        raise DocumentError(
            "document_too_small",
            f"the image is {width} x {height} pixels; at least {MIN_LONG_SIDE} x {MIN_SHORT_SIDE} are needed",
            field=field,
        )
    if header.decode_bytes > max_decode_bytes:
        raise DocumentError(
            "document_too_many_pixels",
            f"judging this {width} x {height} {header.encoding} would take {header.decode_bytes} bytes of memory, "
            f"more than the {max_decode_bytes} allowed: send a smaller image",
            field=field,
        )
    if header.greyscale:
        raise _not_in_colour(field)
    try:
        sample = images.colour_sample(data, header)
    except images.UnreadableImage as exc:
        raise _unreadable(field) from exc
    if not _is_in_colour(sample):
        raise _not_in_colour(field)
    return width, height


def _unreadable(field: str) -> DocumentError:
    return DocumentError("document_unreadable", "the image is corrupt or truncated", field=field)


def _not_in_colour(field: str) -> DocumentError:
    return DocumentError(
        "document_not_in_colour", "the image is in greyscale: send a colour photo or scan", field=field
    )


def _is_in_colour(sample: Image.Image) -> bool:
    """The colour test documented at :data:`GREY_SPREAD_THRESHOLD`, on an RGB sample."""
    red, green, blue = sample.split()
    spread = ImageChops.lighter(
        ImageChops.lighter(ImageChops.difference(red, green), ImageChops.difference(green, blue)),
        ImageChops.difference(red, blue),
    )
    chromatic = sum(spread.histogram()[GREY_SPREAD_THRESHOLD:])
    return chromatic >= COLOUR_MIN_SHARE * sample.width * sample.height


# --------------------------------------------------------------------------------------------------------------
# Machine-readable zone (ICAO Doc 9303 Parts 3, 4 and 5)
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MrzResult:
    """The fields of an MRZ that passed :func:`check_mrz`. Names are as printed, fillers turned into spaces."""

    format: Literal["TD1", "TD3"]
    lines: tuple[str, ...]  # normalised: upper case, no blanks
    document_code: str  # e.g. "P", "ID", "IR", "I" (fillers dropped)
    issuing_state: str  # alpha-3 (Germany's "D" given as DEU)
    document_number: str
    nationality: str  # alpha-3 or another ICAO code (Germany's "D" given as DEU)
    birth_date: date
    sex: Literal["F", "M", "X"]  # X: unspecified (ICAO filler)
    expiry_date: date
    surname: str  # the primary identifier
    given_names: str  # the secondary identifiers, space-separated; "" if none
    optional_data: str  # TD3 personal number, or TD1 optional fields 1 and 2; fillers dropped


_MRZ_CHARSET = re.compile(r"^[A-Z0-9<]*$")
_MRZ_NAME = re.compile(r"^[A-Z<]+$")
_CHECK_WEIGHTS: Final = (7, 3, 1)


def mrz_check_digit(data: str) -> str:
    """ICAO 9303 Part 3 §4.9: digits count as themselves, A-Z as 10-35, ``<`` as 0, weighted 7, 3, 1, modulo 10."""
    total = 0
    for index, char in enumerate(data):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        elif char == "<":
            value = 0
        else:
            raise ValueError(f"{char!r} is not an MRZ character")
        total += value * _CHECK_WEIGHTS[index % 3]
    return str(total % 10)


# Letters that Unicode decomposition does not reduce to A-Z (ICAO 9303 Part 3 §6, transliteration table).
_SPECIAL_LETTERS: Final[Mapping[str, str]] = {
    "Æ": "AE", "Œ": "OE", "Ø": "OE", "ß": "SS", "Þ": "TH", "Ð": "D", "Đ": "D", "Ł": "L", "Ħ": "H", "Ŋ": "N",
    "Ŧ": "T", "Ŀ": "L", "Ĳ": "IJ", "ẞ": "SS", "\u0131": "I", "ĸ": "K",
}  # fmt: skip
# ICAO's recommended spelling of these letters; many states (France among them) just drop the diacritic.
_ICAO_DIAERESES: Final[Mapping[str, str]] = {"Ä": "AE", "Ö": "OE", "Ü": "UE", "Å": "AA"}


def icao_name(name: str, *, german_umlauts: bool = False) -> str:
    """``name`` as an MRZ writes it: upper case, diacritics stripped (é→E, ç→C), Æ→AE, ß→SS…, apostrophes and
    other punctuation removed, hyphens and blanks turned into one ``<``. With ``german_umlauts``, Ä, Ö, Ü and Å
    become AE, OE, UE and AA as ICAO recommends, instead of A, O, U, A.

    >>> icao_name("Jean-François d'Estaing")
    'JEAN<FRANCOIS<DESTAING'
    """
    out: list[str] = []
    for char in unicodedata.normalize("NFC", name.upper()):
        if german_umlauts and char in _ICAO_DIAERESES:
            out.append(_ICAO_DIAERESES[char])
        elif char in _SPECIAL_LETTERS:
            out.append(_SPECIAL_LETTERS[char])
        elif char == "-" or char.isspace():
            out.append("<")
        else:
            base = unicodedata.normalize("NFKD", char)
            out.append("".join(c for c in base if "A" <= c <= "Z"))
    return re.sub("<+", "<", "".join(out)).strip("<")


def check_mrz(
    text: str,
    *,
    document_type: DocumentType,
    given_name: str,
    surname: str,
    birth_date: date,
    today: date,
) -> MrzResult:
    """Verify the MRZ of the applicant's document and answer its fields.

    ``text`` is the MRZ as typed or read: blanks inside lines and blank lines are ignored, case too; the lines
    may also come as one run of 90 (TD1) or 88 (TD3) characters. Structure is checked first, then the check
    digits, then consistency (issuing state, birth date, names) and last the expiry; each refusal is a
    :class:`DocumentError` on field ``mrz``:

    * ``mrz_malformed``: not 3 lines of 30 (TD1) or 2 lines of 44 (TD3); a character outside ``A-Z 0-9 <``; an
      empty document number; an unknown nationality or issuing-state code; a date that is not a calendar date
      (an MRZ with an unknown birth day or month, written ``<<``, is refused here too); a name field that is not
      letters and fillers. The French identity card issued before March 2021 (2 lines of 36, not ICAO) is not
      supported.
    * ``mrz_document_type_mismatch``: TD3 for an identity card or residence permit, TD1 for a passport; a
      document code that is not ``P…`` for a passport, ``I…`` other than ``IR`` for an identity card, ``A…``,
      ``C…`` or ``I…`` for a residence permit; an issuing state other than the document type's country.
    * ``mrz_check_digit``: the message names the field: document number, birth date, expiry date, personal
      number (TD3; a filler is accepted when that field is empty) or composite.
    * ``mrz_birth_date_mismatch``: the birth date is not ``birth_date``. Two-digit years: the birth year is the
      latest one not after ``today``; the expiry year is in the 2000s.
    * ``mrz_name_mismatch``: after :func:`icao_name` on both (diacritics stripped, or ICAO's Ä→AE…), the
      surname must equal the primary identifier, and the applicant's given names must appear, in order, among
      the MRZ's (the SSO usually knows one given name where the document lists all). When the name field is
      full, ICAO may have truncated it: the MRZ's name parts may then be prefixes of the applicant's, and
      trailing given names may be missing.
    * ``mrz_expired``: the expiry date is before ``today`` (the document is valid on its expiry day).
    """
    lines = _mrz_lines(text)
    td1 = len(lines) == 3
    fmt: Literal["TD1", "TD3"] = "TD1" if td1 else "TD3"
    if fmt != document_type.mrz_format:
        raise _mrz_error(
            "mrz_document_type_mismatch",
            f"this is a {fmt} MRZ ({_FORMAT_NAMES[fmt]}) but the document type {document_type.code} has a "
            f"{document_type.mrz_format} one",
        )
    fields = _td1_fields(lines) if td1 else _td3_fields(lines)
    _check_document_code(fields.document_code, document_type)
    issuing_state = _country_code(fields.issuing_state, "issuing state")
    nationality = _country_code(fields.nationality, "nationality")
    if not fields.document_number.strip("<"):
        raise _mrz_error("mrz_malformed", "the document number is empty")
    if fields.sex not in ("F", "M", "X", "<"):
        raise _mrz_error("mrz_malformed", f"the sex must be F, M, X or <, not {fields.sex}")
    if not _MRZ_NAME.match(fields.name) or not fields.name[0].isalpha():
        raise _mrz_error("mrz_malformed", "the name field must be letters and fillers (<), starting with a letter")
    for data, digit, what in fields.checks:
        if mrz_check_digit(data) != digit and not (what == "personal number" and _empty_optional(data, digit)):
            raise _mrz_error("mrz_check_digit", f"the check digit of the {what} is wrong")
    if issuing_state != document_type.country:
        raise _mrz_error(
            "mrz_document_type_mismatch",
            f"the document was issued by {issuing_state}, not {document_type.country} as its type says",
        )
    born = _birth_date(fields.birth_date, today)  # dates after their check digits: a misread digit is likelier
    expires = _date(fields.expiry_date, 2000, "expiry date")
    if born != birth_date:
        raise _mrz_error("mrz_birth_date_mismatch", "the birth date in the MRZ is not the one given")
    mrz_surname, _, mrz_given = fields.name.rstrip("<").partition("<<")
    if not _names_match(
        mrz_surname, mrz_given.strip("<"), truncated=not fields.name.endswith("<"), surname=surname, given=given_name
    ):
        raise _mrz_error("mrz_name_mismatch", "the names in the MRZ are not the applicant's")
    if expires < today:
        raise _mrz_error("mrz_expired", f"the document expired on {expires.isoformat()}")
    return MrzResult(
        format=fmt,
        lines=lines,
        document_code=fields.document_code.replace("<", ""),
        issuing_state=issuing_state,
        document_number=fields.document_number.strip("<"),
        nationality=nationality,
        birth_date=born,
        sex="X" if fields.sex == "<" else fields.sex,  # type: ignore[arg-type]
        expiry_date=expires,
        surname=mrz_surname.replace("<", " "),
        given_names=" ".join(part for part in mrz_given.split("<") if part),
        optional_data=fields.optional_data,
    )


_FORMAT_NAMES: Final = {"TD1": "3 lines of 30", "TD3": "2 lines of 44"}


@dataclass(frozen=True, slots=True)
class _Fields:
    """The raw fields of an MRZ, sliced per its format, fillers kept."""

    document_code: str
    issuing_state: str
    document_number: str
    nationality: str
    birth_date: str
    sex: str
    expiry_date: str
    name: str
    optional_data: str
    checks: tuple[tuple[str, str, str], ...]  # (checked data, check digit, field name), in document order


def _mrz_error(code: str, message: str) -> DocumentError:
    return DocumentError(code, message, field="mrz")


def _mrz_lines(text: str) -> tuple[str, ...]:
    if not isinstance(text, str):
        raise _mrz_error("mrz_malformed", "the MRZ must be text")
    lines = [re.sub(r"\s+", "", line).upper() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) == 1 and len(lines[0]) in (90, 88):
        width = 30 if len(lines[0]) == 90 else 44
        lines = [lines[0][i : i + width] for i in range(0, len(lines[0]), width)]
    shape = [len(line) for line in lines]
    if shape not in ([30, 30, 30], [44, 44]):
        described = " + ".join(map(str, shape)) or "an empty text"
        raise _mrz_error(
            "mrz_malformed", f"an MRZ has 3 lines of 30 (TD1) or 2 lines of 44 (TD3) characters, not {described}"
        )
    for number, line in enumerate(lines, 1):
        if not _MRZ_CHARSET.match(line):
            raise _mrz_error("mrz_malformed", f"line {number} has characters other than A-Z, 0-9 and <")
    return tuple(lines)


def _td1_fields(lines: tuple[str, ...]) -> _Fields:
    """ICAO 9303 Part 5 §4.2.2. A document number over 9 characters goes on in optional data 1 (its check digit
    position then holds ``<``), its check digit after it."""
    line1, line2, line3 = lines
    number, number_check, optional1 = line1[5:14], line1[14], line1[15:30]
    if number_check == "<" and optional1[0] != "<":
        overflow = optional1.split("<", 1)[0]
        if len(overflow) < 2:
            raise _mrz_error("mrz_malformed", "the long document number has no check digit")
        number, number_check = number + overflow[:-1], overflow[-1]
        optional1 = optional1[len(overflow) :]
    return _Fields(
        document_code=line1[0:2],
        issuing_state=line1[2:5],
        document_number=number,
        nationality=line2[15:18],
        birth_date=line2[0:6],
        sex=line2[7],
        expiry_date=line2[8:14],
        name=line3,
        optional_data=(optional1.strip("<") + " " + line2[18:29].strip("<")).strip(),
        checks=(
            (number, number_check, "document number"),
            (line2[0:6], line2[6], "birth date"),
            (line2[8:14], line2[14], "expiry date"),
            (line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29], line2[29], "composite"),
        ),
    )


def _td3_fields(lines: tuple[str, ...]) -> _Fields:
    """ICAO 9303 Part 4 §4.2.2."""
    line1, line2 = lines
    return _Fields(
        document_code=line1[0:2],
        issuing_state=line1[2:5],
        document_number=line2[0:9],
        nationality=line2[10:13],
        birth_date=line2[13:19],
        sex=line2[20],
        expiry_date=line2[21:27],
        name=line1[5:44],
        optional_data=line2[28:42].strip("<"),
        checks=(
            (line2[0:9], line2[9], "document number"),
            (line2[13:19], line2[19], "birth date"),
            (line2[21:27], line2[27], "expiry date"),
            (line2[28:42], line2[42], "personal number"),
            (line2[0:10] + line2[13:20] + line2[21:43], line2[43], "composite"),
        ),
    )


def _empty_optional(data: str, digit: str) -> bool:
    """An unused TD3 personal number may have a filler (or 0) as its check digit."""
    return data.strip("<") == "" and digit in ("<", "0")


def _check_document_code(code: str, document_type: DocumentType) -> None:
    first, second = code[0], code[1]
    if document_type.kind == "passport":
        expected, ok = "P...", first == "P"
    elif document_type.kind == "id_card":
        expected, ok = "I... but not IR (a residence permit)", first == "I" and second != "R"
    else:
        expected, ok = "A..., C... or I...", first in "ACI"
    if not ok:
        raise _mrz_error(
            "mrz_document_type_mismatch",
            f"the document code {code.replace('<', '')!r} does not fit {document_type.code}: expected {expected}",
        )


def _country_code(code: str, what: str) -> str:
    bare = code.rstrip("<")
    if bare not in ISO3166_ALPHA3 and bare not in _ICAO_MRZ_ONLY_CODES:
        raise _mrz_error("mrz_malformed", f"the {what} {code!r} is not a known country code")
    return _MRZ_CODE_ALIASES.get(bare, bare)


def _date(yymmdd: str, century: int, what: str) -> date:
    try:
        if not yymmdd.isdigit():
            raise ValueError(yymmdd)
        return date(century + int(yymmdd[0:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))
    except ValueError:
        raise _mrz_error("mrz_malformed", f"the {what} {yymmdd} is not a date (YYMMDD)") from None


def _birth_date(yymmdd: str, today: date) -> date:
    """The latest date with these two-digit year, month and day that is not after ``today``."""
    try:
        candidate = _date(yymmdd, 2000, "birth date")
    except DocumentError:
        candidate = None  # 29 February of a year 00 that only 1900 lacks; try the 1900s
    if candidate is None or candidate > today:
        candidate = _date(yymmdd, 1900, "birth date")
    return candidate


def _names_match(mrz_surname: str, mrz_given: str, *, truncated: bool, surname: str, given: str) -> bool:
    """See :func:`check_mrz`. ``truncated`` is true when the name field is full, so ICAO may have cut it."""
    mrz_tokens = [token for token in mrz_given.split("<") if token]
    for german in (False, True):
        ours_surname = icao_name(surname, german_umlauts=german)
        ours_given = [token for token in icao_name(given, german_umlauts=german).split("<") if token]
        if not ours_surname:
            continue
        surname_ok = mrz_surname == ours_surname or (truncated and ours_surname.startswith(mrz_surname))
        if surname_ok and _given_names_match(mrz_tokens, ours_given, truncated=truncated):
            return True
    return False


def _given_names_match(mrz: list[str], ours: list[str], *, truncated: bool) -> bool:
    """Our given names, in order, among the MRZ's. When truncated, an MRZ name may be a prefix (or initial) of
    ours, and our given names after the last one the MRZ kept (or all of them, if it kept none) were cut off."""
    if mrz and not ours:
        return False
    remaining: Iterator[str] = iter(mrz)
    for index, token in enumerate(ours):
        for candidate in remaining:
            if candidate == token or (truncated and token.startswith(candidate)):
                break
        else:
            return truncated and (index > 0 or not mrz)
    return True
