"""The QCStatements extension (RFC 3739, ETSI EN 319 412-5), encoded with asn1crypto.

Neither cryptography nor asn1crypto ship these types, so they are declared here with asn1crypto's ASN.1 classes
and added to certificates as an unrecognized extension.
"""

from __future__ import annotations

from collections.abc import Sequence

from asn1crypto import core
from asn1crypto import x509 as asn1_x509
from cryptography import x509

from mock_provider.core.pki import oids


class PdsLocation(core.Sequence):  # type: ignore[misc]
    _fields = [("url", core.IA5String), ("language", core.PrintableString)]


class PdsLocations(core.SequenceOf):  # type: ignore[misc]
    _child_spec = PdsLocation


class QcTypes(core.SequenceOf):  # type: ignore[misc]
    _child_spec = core.ObjectIdentifier


class SemanticsInformation(core.Sequence):  # type: ignore[misc]
    _fields = [
        ("semantics_identifier", core.ObjectIdentifier, {"optional": True}),
        ("name_registration_authorities", asn1_x509.GeneralNames, {"optional": True}),
    ]


class QcStatement(core.Sequence):  # type: ignore[misc]
    _fields = [("statement_id", core.ObjectIdentifier), ("statement_info", core.Any, {"optional": True})]


class QcStatements(core.SequenceOf):  # type: ignore[misc]
    _child_spec = QcStatement


def qc_statements(
    *,
    compliance: bool,
    sscd: bool,
    qc_type: str | None,
    pds: Sequence[tuple[str, str]],
    semantics: str,
) -> x509.UnrecognizedExtension:
    """Build the extension value. ``pds`` holds (https URL, two-letter language) pairs."""
    statements: list[dict[str, object]] = []
    if compliance:
        statements.append({"statement_id": oids.QC_COMPLIANCE})
    if sscd:
        statements.append({"statement_id": oids.QC_SSCD})
    if qc_type is not None:
        statements.append({"statement_id": oids.QC_TYPE, "statement_info": QcTypes([qc_type])})
    if pds:
        locations = PdsLocations([{"url": url, "language": lang} for url, lang in pds])
        statements.append({"statement_id": oids.QC_PDS, "statement_info": locations})
    statements.append(
        {
            "statement_id": oids.QCS_PKIX_SYNTAX_V2,
            "statement_info": SemanticsInformation({"semantics_identifier": semantics}),
        }
    )
    return x509.UnrecognizedExtension(oids.QC_STATEMENTS_EXTENSION, QcStatements(statements).dump())


def parse_qc_statements(value: bytes) -> dict[str, object]:
    """Decode the extension into {statement OID: decoded info}, for tests and readable summaries."""
    out: dict[str, object] = {}
    for statement in QcStatements.load(value):
        oid = statement["statement_id"].dotted
        info = statement["statement_info"]
        if oid == oids.QC_TYPE:
            out[oid] = [t.dotted for t in QcTypes.load(info.dump())]
        elif oid == oids.QC_PDS:
            out[oid] = [(p["url"].native, p["language"].native) for p in PdsLocations.load(info.dump())]
        elif oid == oids.QCS_PKIX_SYNTAX_V2:
            out[oid] = SemanticsInformation.load(info.dump())["semantics_identifier"].dotted
        else:
            out[oid] = None
    return out
