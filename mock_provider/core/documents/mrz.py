"""The machine-readable zone of an identity document (ICAO Doc 9303 Parts 3 to 6, and the French identity card of
1988-2021): structure, check digits, and consistency with the declared document type, the applicant's names and
birth date, and the expiry date."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Literal

from mock_provider.core.documents.kinds import (
    ICAO_SPECIMEN_STATE,
    ISO3166_ALPHA3,
    DocumentError,
    DocumentType,
    MrzFormat,
)

# Codes that ICAO Doc 9303 Part 3 allows in an MRZ besides ISO 3166-1 (nationality or issuing-state fields):
# Germany's one-letter D, British nationals other than citizens, the United Nations, the EU, Kosovo, other
# international organisations, stateless persons and refugees, and the specimen state.
_ICAO_MRZ_ONLY_CODES: Final = frozenset({
    "D", "GBD", "GBN", "GBO", "GBP", "GBS", "UNO", "UNA", "UNK", "EUE", "RKS", "XBA", "XCC", "XCE", "XCO", "XDC",
    "XEC", "XES", "XIM", "XMP", "XOM", "XPO", "XXA", "XXB", "XXC", "XXX", ICAO_SPECIMEN_STATE,
})  # fmt: skip
_MRZ_CODE_ALIASES: Final[Mapping[str, str]] = {"D": "DEU"}  # Germany writes D<< in its MRZs

# --------------------------------------------------------------------------------------------------------------
# Machine-readable zone (ICAO Doc 9303 Parts 3 to 6; the French identity card of 1988)
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MrzResult:
    """The fields of an MRZ that passed :func:`check_mrz`. Names are as printed, fillers turned into spaces."""

    format: MrzFormat
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


#: An MRZ typed as one run of characters: its length gives the line width.
_RUN_WIDTHS: Final[Mapping[int, int]] = {90: 30, 72: 36, 88: 44}
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

    * ``mrz_malformed``: not 3 lines of 30 (TD1), 2 of 36 (TD2, or the French identity card of 1988-2021) or 2
      of 44 (TD3); a character outside ``A-Z 0-9 <``; an empty document number; an unknown nationality or
      issuing-state code; a date that is not a calendar date (an MRZ with an unknown birth day or month, written
      ``<<``, is refused here too); a name field that is not letters and fillers.
    * ``mrz_document_type_mismatch``: a format the document type does not have (:attr:`DocumentType.mrz_formats`:
      TD3 for a passport, TD1 or TD2 for an identity card, TD1 for a residence permit, none for a driving
      licence); a document code that is not ``P…`` for a passport, ``I…`` other than ``IR`` for an identity
      card, ``A…``, ``C…`` or ``I…`` for a residence permit; an issuing state other than the document type's
      country.
    * The French identity card of 1988-2021 (2 lines of 36 read for ``id_card:fra``) has France's own layout:
      ``IDFRA``, the surname and the issuing office on line 1; the 12-character card number (its first four
      digits the year and month of issue), the given names (separated by ``<<``), the birth date and the sex on
      line 2, each with its check digit, and a last one over both lines. It prints no expiry date: the card was
      valid 10 years from its issue, 15 for one issued to an adult from 2 January 2004 to 31 December 2013
      (décret n° 2013-1188); the month of issue is read as ending on its last day.
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
    fmt = _format_of(lines, document_type)
    if fmt not in document_type.mrz_formats:
        has = " or ".join(document_type.mrz_formats) or "no"
        raise _mrz_error(
            "mrz_document_type_mismatch",
            f"this is a {fmt} MRZ ({_FORMAT_NAMES[fmt]}) but the document type {document_type.code} has {has} MRZ",
        )
    if fmt == "FR1988":
        return _check_french_1988(lines, given_name=given_name, surname=surname, birth_date=birth_date, today=today)
    fields = {"TD1": _td1_fields, "TD2": _td2_fields, "TD3": _td3_fields}[fmt](lines)
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


_FORMAT_NAMES: Final[Mapping[str, str]] = {
    "TD1": "3 lines of 30",
    "TD2": "2 lines of 36",
    "TD3": "2 lines of 44",
    "FR1988": "2 lines of 36, French identity card of 1988",
}


def _format_of(lines: tuple[str, ...], document_type: DocumentType) -> MrzFormat:
    """The MRZ's format by its shape; 2 lines of 36 on a French identity card are France's 1988 layout (France
    never issued a TD2 card)."""
    if len(lines) == 3:
        return "TD1"
    if len(lines[0]) == 44:
        return "TD3"
    return "FR1988" if document_type.code == "id_card:fra" and lines[0].startswith("IDFRA") else "TD2"


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
    if len(lines) == 1 and len(lines[0]) in _RUN_WIDTHS:
        width = _RUN_WIDTHS[len(lines[0])]
        lines = [lines[0][i : i + width] for i in range(0, len(lines[0]), width)]
    shape = [len(line) for line in lines]
    if shape not in ([30, 30, 30], [36, 36], [44, 44]):
        described = " + ".join(map(str, shape)) or "an empty text"
        raise _mrz_error(
            "mrz_malformed",
            f"an MRZ has 3 lines of 30 (TD1), 2 of 36 (TD2) or 2 of 44 (TD3) characters, not {described}",
        )
    for number, line in enumerate(lines, 1):
        if not _MRZ_CHARSET.match(line):
            raise _mrz_error("mrz_malformed", f"line {number} has characters other than A-Z, 0-9 and <")
    return tuple(lines)


def _long_number(number: str, check: str, optional: str) -> tuple[str, str, str]:
    """ICAO 9303 Parts 5 and 6 (TD1, TD2): a document number over 9 characters goes on in the optional data (its
    check digit position then holds ``<``), its check digit after it. Answers the number, its check digit and the
    optional data left."""
    if check == "<" and optional[0] != "<":
        overflow = optional.split("<", 1)[0]
        if len(overflow) < 2:
            raise _mrz_error("mrz_malformed", "the long document number has no check digit")
        return number + overflow[:-1], overflow[-1], optional[len(overflow) :]
    return number, check, optional


def _td1_fields(lines: tuple[str, ...]) -> _Fields:
    """ICAO 9303 Part 5 §4.2.2. A document number over 9 characters goes on in optional data 1 (its check digit
    position then holds ``<``), its check digit after it."""
    line1, line2, line3 = lines
    number, number_check, optional1 = _long_number(line1[5:14], line1[14], line1[15:30])
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


def _td2_fields(lines: tuple[str, ...]) -> _Fields:
    """ICAO 9303 Part 6 §4.2.2 (a document number over 9 characters goes on in the optional data, as in TD1)."""
    line1, line2 = lines
    number, number_check, optional = _long_number(line2[0:9], line2[9], line2[28:35])
    return _Fields(
        document_code=line1[0:2],
        issuing_state=line1[2:5],
        document_number=number,
        nationality=line2[10:13],
        birth_date=line2[13:19],
        sex=line2[20],
        expiry_date=line2[21:27],
        name=line1[5:36],
        optional_data=optional.strip("<"),
        checks=(
            (number, number_check, "document number"),
            (line2[13:19], line2[19], "birth date"),
            (line2[21:27], line2[27], "expiry date"),
            (line2[0:10] + line2[13:20] + line2[21:35], line2[35], "composite"),
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


def _check_french_1988(
    lines: tuple[str, ...], *, given_name: str, surname: str, birth_date: date, today: date
) -> MrzResult:
    """The French identity card of 1988-2021 (see :func:`check_mrz`)."""
    line1, line2 = lines
    number, sex = line2[0:12], line2[34]
    if not re.fullmatch(r"[0-9]{4}[0-9A-Z]{8}", number) or not 1 <= int(number[2:4]) <= 12:
        raise _mrz_error("mrz_malformed", "the card number is 12 characters, starting with the year and month of issue")
    if sex not in ("F", "M"):
        raise _mrz_error("mrz_malformed", f"the sex must be F or M, not {sex}")
    name, given = line1[5:30], line2[13:27]
    for field in (name, given):
        if not _MRZ_NAME.match(field) or not field[0].isalpha():
            raise _mrz_error("mrz_malformed", "a name field must be letters and fillers (<), starting with a letter")
    for data, digit, what in (
        (number, line2[12], "document number"),
        (line2[27:33], line2[33], "birth date"),
        (line1 + line2[0:35], line2[35], "composite"),
    ):
        if mrz_check_digit(data) != digit:
            raise _mrz_error("mrz_check_digit", f"the check digit of the {what} is wrong")
    born = _birth_date(line2[27:33], today)
    if born != birth_date:
        raise _mrz_error("mrz_birth_date_mismatch", "the birth date in the MRZ is not the one given")
    mrz_surname = name.rstrip("<").replace("<", " ").strip()
    given_parts = [part.replace("<", " ").strip() for part in given.rstrip("<").split("<<") if part.strip("<")]
    mrz_given = "<".join(part.replace(" ", "<") for part in given_parts)
    if not _names_match(
        name.rstrip("<"),
        mrz_given,
        truncated=not given.endswith("<") or not name.endswith("<"),
        surname=surname,
        given=given_name,
    ):
        raise _mrz_error("mrz_name_mismatch", "the names in the MRZ are not the applicant's")
    issued = _date(number[0:4] + "01", 1900 if int(number[0:2]) >= 88 else 2000, "month of issue")
    adult = issued.year - born.year - ((issued.month, 1) < (born.month, born.day)) >= 18
    years = 15 if adult and date(2004, 1, 2) <= issued.replace(day=28) and issued <= date(2013, 12, 31) else 10
    last_day = (issued.replace(year=issued.year + years, day=28) + timedelta(days=4)).replace(day=1) - timedelta(1)
    if last_day < today:
        raise _mrz_error("mrz_expired", f"the card, issued in {issued:%m/%Y}, expired at the end of {last_day:%m/%Y}")
    return MrzResult(
        format="FR1988",
        lines=lines,
        document_code="ID",
        issuing_state="FRA",
        document_number=number,
        nationality="FRA",
        birth_date=born,
        sex=sex,  # type: ignore[arg-type]
        expiry_date=last_day,
        surname=mrz_surname,
        given_names=" ".join(given_parts),
        optional_data=line1[30:36].strip("<"),
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
