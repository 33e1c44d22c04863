"""Identity documents: the types an applicant may declare (``id_card:fra``, ``passport:bel``...), the countries
behind them, and :class:`DocumentError`, the refusal every judgement of :mod:`mock_provider.core.documents` raises."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from mock_provider.core.errors import InvalidInput


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


# --------------------------------------------------------------------------------------------------------------
# Document types
# --------------------------------------------------------------------------------------------------------------

DocumentKind = Literal["id_card", "passport", "residence_permit", "driving_licence"]
#: The MRZ formats of ICAO Doc 9303 (TD1: 3 x 30, TD2: 2 x 36, TD3: 2 x 44), and the French identity card of
#: 1988-2021 ("FR1988": 2 x 36 like TD2, but France's own layout; cards issued to adults from 2004 to 2013 stay
#: valid 15 years, so many are still in use).
MrzFormat = Literal["TD1", "TD2", "TD3", "FR1988"]

#: The identity cards the trust provider accepts besides France's: the European Union's 27 states, the other
#: members of the European Economic Area and Switzerland (Universign accepts European identity documents).
EUROPEAN_ID_CARD_COUNTRIES: Final = frozenset({
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL", "ITA", "LVA",
    "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE", "ISL", "LIE", "NOR", "CHE",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class DocumentType:
    """What the applicant says the document is. Build it with :func:`parse_document_type`.

    ``serial_prefix`` is the ETSI EN 319 412-1 identity type reference that the certificate's subject
    serialNumber starts with, ``alpha2`` the country that follows it: ``IDCFR-…`` for a French identity card,
    residence permit or driving licence, ``PASBE-…`` for a Belgian passport. ETSI EN 319 412-1 §5.1.3 names
    passports (PAS), identity cards (IDC), personal numbers (PNO) and tax numbers (TIN) only: a driving licence,
    which France accepts as an identity document, takes IDC.
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
    def mrz_formats(self) -> tuple[MrzFormat, ...]:
        """The MRZ formats this document may carry: TD3 for a passport; TD1 or TD2 for an identity card (and
        France's 1988 layout for a French one); TD1 for a residence permit; none for a driving licence, whose
        European model carries no ICAO MRZ (its number is typed)."""
        if self.kind == "passport":
            return ("TD3",)
        if self.kind == "id_card":
            return ("TD1", "TD2", "FR1988") if self.country == "FRA" else ("TD1", "TD2")
        if self.kind == "residence_permit":
            return ("TD1",)
        return ()

    @property
    def mrz_format(self) -> Literal["TD1", "TD3"]:
        """The ICAO 9303 size of today's MRZ of the kind: TD3 (2 x 44) for passports, TD1 (3 x 30) otherwise."""
        return "TD3" if self.kind == "passport" else "TD1"

    @property
    def label_fr(self) -> str:
        """The French name the screens show."""
        return _LABELS_FR[self.kind]


_LABELS_FR: Final[Mapping[str, str]] = {
    "id_card": "Carte nationale d'identité",
    "passport": "Passeport",
    "residence_permit": "Titre de séjour",
    "driving_licence": "Permis de conduire",
}
# kind → (needs a back side, certificate serial prefix, the countries accepted or None for any)
_KINDS: Final[Mapping[str, tuple[bool, Literal["IDC", "PAS"], frozenset[str] | None]]] = {
    "id_card": (True, "IDC", EUROPEAN_ID_CARD_COUNTRIES),
    "passport": (False, "PAS", None),
    "residence_permit": (True, "IDC", frozenset({"FRA"})),
    "driving_licence": (True, "IDC", frozenset({"FRA"})),
}
_DOCUMENT_TYPE = re.compile(r"^([a-z_]+):([a-z]{3})$", re.IGNORECASE | re.ASCII)


def parse_document_type(text: str, *, allow_icao_specimen: bool = False) -> DocumentType:
    """Read ``kind:country`` (case-insensitive, surrounding blanks ignored) into a :class:`DocumentType`.

    Accepted: ``id_card:<country>`` for France and the other European states of
    :data:`EUROPEAN_ID_CARD_COUNTRIES`, ``residence_permit:fra`` and ``driving_licence:fra`` (front and back),
    ``passport:<alpha-3>`` for any of the 249 ISO 3166-1 countries (front only). With ``allow_icao_specimen`` the
    ICAO specimen state ``UTO`` is accepted too, for every kind (its alpha-2 is the user-assigned ``ZZ``). Raises
    :class:`DocumentError` ``invalid_document_type`` otherwise.
    """
    match = _DOCUMENT_TYPE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise _type_error(f"the document type must look like 'passport:fra', not {str(text)[:40]!r}")
    kind, country = match.group(1).lower(), match.group(2).upper()
    if kind not in _KINDS:
        raise _type_error(f"unknown document kind {kind!r}: use id_card, passport, residence_permit or driving_licence")
    needs_back, prefix, countries = _KINDS[kind]
    if allow_icao_specimen and country == ICAO_SPECIMEN_STATE:
        alpha2 = "ZZ"
    elif country not in ISO3166_ALPHA3:
        raise _type_error(f"{country} is not an ISO 3166-1 alpha-3 country code")
    elif countries is not None and country not in countries:
        if countries == {"FRA"}:
            raise _type_error(f"only French documents of kind {kind} are accepted ({kind}:fra)")
        raise _type_error(f"identity cards are accepted from the EU, the EEA and Switzerland, not {country}")
    else:
        alpha2 = ISO3166_ALPHA3_TO_ALPHA2[country]
    return DocumentType(kind, country, alpha2, needs_back, prefix)  # type: ignore[arg-type]


def _type_error(message: str) -> DocumentError:
    return DocumentError("invalid_document_type", message, field="document_type")
