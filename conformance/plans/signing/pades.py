"""``signing.pades``: a PDF signed through the SDK at each PAdES baseline level validates with pyHanko."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conformance.context import CheckContext
from conformance.plans import holders
from conformance.plans.registration import steps
from conformance.registry import check

LEVEL_RANK = {"B-B": 0, "B-T": 1, "B-LT": 2, "B-LTA": 3}


class _HarnessOtp:
    """The SDK's OTP source, answered by the run's harness."""

    def __init__(self, ctx: CheckContext, phone_number: str) -> None:
        self.ctx = ctx
        self.phone_number = phone_number

    def get_code(self, request: Any) -> str:
        return self.ctx.harness.otp(self.phone_number)


def _sdk_client(ctx: CheckContext, holder: holders.Holder) -> Any:
    from jesign_sdk import Client, Endpoints, Tokens

    parties = ctx.target.parties
    endpoints = Endpoints(
        sso=parties["sso"],
        platform=parties["platform"],
        trust=parties["trust"],
        pki=parties["pki"],
        csc=parties.get("csc"),
    )
    tokens = Tokens(access_token=holder.tokens.access_token, expires_at=datetime.now(UTC) + timedelta(minutes=50))
    # The target's clock, which the mock's harness may have moved: the validation follows it.
    return Client(
        endpoints=endpoints,
        client_id=ctx.target.oidc.client_id,
        tokens=tokens,
        max_retries=0,
        clock=ctx.target_now,
    )


def _pades(ctx: CheckContext, level: str) -> None:
    holder = ctx.use(holders.accountant)
    client = _sdk_client(ctx, holder)
    signed = client.signing.sign_pdf(
        steps.minimal_pdf(), level=level, otp_source=_HarnessOtp(ctx, holder.phone_number), reason="conformance"
    )
    # B-LT and B-LTA must carry their validation data: judge them offline, from the document's DSS alone.
    reports = client.signing.validate_pdf(signed, allow_fetching=level in ("B-B", "B-T"))
    ctx.expect(len(reports) == 1, f"{len(reports)} signatures in the signed document")
    report = reports[0]
    ctx.note(str(report))
    ctx.expect(report.intact and report.valid, f"the {level} signature is not intact and valid: {report.summary}")
    ctx.expect(report.trusted, f"the {level} signature does not lead to the provider's root: {report.summary}")
    reached = report.pades_level
    ctx.expect(
        reached is not None and LEVEL_RANK[reached] >= LEVEL_RANK[level],
        f"the signature reaches {reached or 'no PAdES level'}, not {level}",
    )


_PADES = "ETSI EN 319 142-1 V1.1.1, PAdES baseline signatures"


@check(
    "signing.pades.b_b",
    title="A PDF signed at PAdES B-B through the SDK validates with pyHanko",
    cites=(_PADES + ", level B-B", "jesign docs, Signing and sealing: PAdES B-B, B-T, B-LT or B-LTA"),
    needs=("otp", "review"),
)
def pades_b_b(ctx: CheckContext) -> None:
    _pades(ctx, "B-B")


@check(
    "signing.pades.b_t",
    title="A PDF signed at PAdES B-T carries a signature time-stamp and validates with pyHanko",
    cites=(_PADES + ", level B-T (signature time-stamp)", "RFC 3161"),
    needs=("otp", "review"),
)
def pades_b_t(ctx: CheckContext) -> None:
    _pades(ctx, "B-T")


@check(
    "signing.pades.b_lt",
    title="A PDF signed at PAdES B-LT carries its validation data (DSS) and validates offline",
    cites=(_PADES + ", level B-LT (DSS: certificates, OCSP answers, CRLs)",),
    needs=("otp", "review"),
)
def pades_b_lt(ctx: CheckContext) -> None:
    _pades(ctx, "B-LT")


@check(
    "signing.pades.b_lta",
    title="A PDF signed at PAdES B-LTA adds a document time-stamp and validates offline",
    cites=(_PADES + ", level B-LTA (document time-stamp)",),
    needs=("otp", "review"),
)
def pades_b_lta(ctx: CheckContext) -> None:
    _pades(ctx, "B-LTA")
