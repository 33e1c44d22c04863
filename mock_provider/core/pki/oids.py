"""Object identifiers of the ETSI and IETF profiles the hierarchy follows."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

# ETSI EN 319 411-1 / 319 411-2 certificate policies.
LCP = ObjectIdentifier("0.4.0.2042.1.3")
QCP_N = ObjectIdentifier("0.4.0.194112.1.0")
QCP_L = ObjectIdentifier("0.4.0.194112.1.1")
QCP_N_QSCD = ObjectIdentifier("0.4.0.194112.1.2")

#: The project's own policy arc, under IANA's enterprise number 32473, which RFC 5612 reserves for examples and
#: documentation: it can never collide with a real policy, which suits a TEST hierarchy. (The UUID arc 2.25 and
#: the example arc 2.999 were tried first; pkilint's decoder refuses both.) Each level has its own leaf.
JESIGN_TEST_ARC = "1.3.6.1.4.1.32473.5374"
JESIGN_POLICY = {
    "lcp": ObjectIdentifier(f"{JESIGN_TEST_ARC}.1.1"),
    "qcp": ObjectIdentifier(f"{JESIGN_TEST_ARC}.1.2"),
    "qcpnqscd": ObjectIdentifier(f"{JESIGN_TEST_ARC}.1.3"),
    "qcp-l": ObjectIdentifier(f"{JESIGN_TEST_ARC}.2.1"),
    "tsa": ObjectIdentifier(f"{JESIGN_TEST_ARC}.3.1"),
}
#: The TSA policy named in every TSTInfo.
TSA_POLICY = JESIGN_POLICY["tsa"]

# ETSI EN 319 412-5 QC statements.
QC_COMPLIANCE = "0.4.0.1862.1.1"
QC_SSCD = "0.4.0.1862.1.4"
QC_PDS = "0.4.0.1862.1.5"
QC_TYPE = "0.4.0.1862.1.6"
QC_TYPE_ESIGN = "0.4.0.1862.1.6.1"
QC_TYPE_ESEAL = "0.4.0.1862.1.6.2"
# RFC 3739 semantics information with ETSI EN 319 412-1 semantics identifiers.
QCS_PKIX_SYNTAX_V2 = "1.3.6.1.5.5.7.11.2"
SEMANTICS_NATURAL = "0.4.0.194121.1.1"
SEMANTICS_LEGAL = "0.4.0.194121.1.2"

#: id-pe-qcStatements (RFC 3739).
QC_STATEMENTS_EXTENSION = ObjectIdentifier("1.3.6.1.5.5.7.1.3")

#: How the names of the hierarchy's certificates spell the attributes RFC 4514 gives no short name, which
#: cryptography would print as their OIDs (``2.5.4.5=...``, ``2.5.4.97=...``): by their X.520 names.
NAME_ATTRIBUTES = {
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
    NameOID.SURNAME: "surname",
    NameOID.GIVEN_NAME: "givenName",
    NameOID.TITLE: "title",
    NameOID.PSEUDONYM: "pseudonym",
}


def readable_name(name: x509.Name) -> str:
    """``name`` as people read it: RFC 4514 form, every attribute by its name (``serialNumber=IDCFR-...``)."""
    return name.rfc4514_string(NAME_ATTRIBUTES)
