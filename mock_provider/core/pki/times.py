"""The instants the PKI can write, and so the instants at which it can answer.

- X.509 (RFC 5280 sections 4.1.2.5 and 5.1.2.4): a certificate's validity and a CRL's thisUpdate and nextUpdate
  are UTCTime through 2049 and GeneralizedTime from 2050. UTCTime starts in 1950, so nothing earlier can be
  written into a certificate or a CRL (``cryptography`` refuses it too). OCSP (RFC 6960) and the TSA's genTime
  (RFC 3161) are GeneralizedTime, which reaches further back, but an answer about certificates from before any
  could exist says nothing: every answer of the PKI starts in 1950 too.
- GeneralizedTime ends at 9999-12-31T23:59:59Z (four digits of year), as Python's ``datetime`` does.
- An answer dates things after the instant it is made at: a CRL's and an OCSP response's nextUpdate, a
  certificate's notAfter. The latest instant for an answer is 9999-12-31T23:59:59Z minus what it adds.

Answers are dated to the second (fractions dropped), so a range admits any fraction of its last second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

#: The first instant X.509 can write (UTCTime's 1950).
EARLIEST = datetime(1950, 1, 1, tzinfo=UTC)
#: The last instant GeneralizedTime can write, with any fraction of its second.
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)


@dataclass(frozen=True)
class InstantRange:
    """The instants, both ends included, at which something can be dated."""

    earliest: datetime
    latest: datetime

    def __contains__(self, instant: datetime) -> bool:
        return self.earliest <= instant <= self.latest

    def __str__(self) -> str:
        return f"from {_written(self.earliest)} to {_written(self.latest)}"


def answerable(*, adds: timedelta) -> InstantRange:
    """The instants at which an answer that dates things up to ``adds`` later can be made."""
    return InstantRange(EARLIEST, LATEST - adds)


def _written(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
