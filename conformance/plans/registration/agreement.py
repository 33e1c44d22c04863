"""Step 4, « signature de l'accord de souscription »: a versioned, hashed text; steps in order; signing with the
SMS code; no cancellation once signed."""

from __future__ import annotations

import hashlib

from conformance.context import CheckContext
from conformance.plans.registration import steps
from conformance.registry import check
from conformance.results import Severity

GUIDE_STEP_4 = (
    "Guide, « S'enregistrer : signature l'accord de souscription » : « Une fois la case cochée vous recevrez un "
    "code par sms »"
)
ARTICLE_5 = "Contrat de souscription d'Universign, article 5 : « the Certificate Request cannot be cancelled »"
RULE_4 = "DESIGN.md §2, step 4: agreement text versioned and hashed; after signing, no cancellation"


@check(
    "registration.agreement.versioned",
    title="The agreement is versioned and hashed, and a consent must name the current version",
    cites=(GUIDE_STEP_4, RULE_4),
    severity=Severity.MAJOR,
)
def versioned(ctx: CheckContext) -> None:
    """The agreement's version, sha256 and text (its sha256 that of its text); then consents naming another hash (one
    sorting before the real one, one after) or another version (likewise), with the other value right: each refused
    (409 ``agreement_version_mismatch``), and the request stays ``documents_submitted``."""
    reg = steps.walk(ctx, "documents_submitted")
    text = steps.agreement(ctx, reg)
    for field in ("version", "sha256", "text"):
        ctx.expect(text.get(field), f"the agreement lacks {field}")
    digest = hashlib.sha256(text["text"].encode("utf-8")).hexdigest()
    ctx.expect(digest == text["sha256"], "the agreement's sha256 is not the SHA-256 of its text")
    version, sha256 = str(text["version"]), str(text["sha256"])
    # Each value replaced by one sorting before it and one after: a value compared by order lets one side through.
    others = (
        (version, "0" * 64, "another text's hash, sorting before"),
        (version, "f" * 64, "another text's hash, sorting after"),
        (version[:-1], sha256, f"the version {version[:-1]!r} (before {version!r})"),
        (version + "1", sha256, f"the version {version + '1'!r} (after {version!r})"),
    )
    for named, digest, what in others:
        consent = {"accept": True, "version": named, "sha256": digest}
        answer = ctx.http.post("trust", reg.path("/agreement/consent"), json=consent, headers=reg.auth)
        ctx.expect_refusal(answer, 409, "agreement_version_mismatch", f"a consent naming {what}")
    state = steps.view(ctx, reg)["state"]
    ctx.expect(state == "documents_submitted", f"refused consents left the request {state}")


@check(
    "registration.agreement.steps_in_order",
    title="The agreement cannot be consented to before the identity document (409, nothing changes)",
    cites=(RULE_4, "DESIGN.md §2: illegal transitions answer 409 with a stable error code and change nothing"),
    severity=Severity.MAJOR,
)
def steps_in_order(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "identity_submitted")
    answer = steps.consent(ctx, reg)
    ctx.expect_refusal(answer, 409, "registration_wrong_state", "consenting before the document is uploaded")
    ctx.expect(steps.view(ctx, reg)["state"] == "identity_submitted", "the refused consent changed the state")


@check(
    "registration.agreement.signed",
    title="The right SMS code signs the agreement and sends the request to review",
    cites=(GUIDE_STEP_4, RULE_4, "DESIGN.md §2, step 5: pending_validation, then certificate_issued or rejected"),
    severity=Severity.CRITICAL,
    needs=("otp",),
)
def signed(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "consented")
    body = ctx.expect_accepted(steps.sign(ctx, reg, ctx.harness.otp(reg.phone_number)), rule="the right code")
    ctx.expect(
        body["state"] in ("agreement_signed", "pending_validation", "certificate_issued", "rejected"),
        f"after signing the registration is {body['state']}",
    )
    ctx.expect(body["agreement"]["signed_at"], "the signature time is not recorded")
    ctx.expect(body["cancellable"] is False, "the signed request still says it can be cancelled")


@check(
    "registration.agreement.cancel_before_signing",
    title="Before the agreement is signed the request can be cancelled",
    cites=(ARTICLE_5, RULE_4),
    severity=Severity.MINOR,
)
def cancel_before_signing(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "documents_submitted")
    body = ctx.expect_accepted(ctx.http.post("trust", reg.path("/cancel"), headers=reg.auth), rule="cancelling")
    ctx.expect(body["state"] == "cancelled", f"the cancelled request is {body['state']}")


@check(
    "registration.agreement.no_cancel_after_signing",
    title="Once the agreement is signed the request can no longer be cancelled",
    cites=(ARTICLE_5, RULE_4),
    severity=Severity.CRITICAL,
    needs=("otp",),
)
def no_cancel_after_signing(ctx: CheckContext) -> None:
    reg = steps.walk(ctx, "signed")
    before = steps.view(ctx, reg)["state"]
    answer = ctx.http.post("trust", reg.path("/cancel"), headers=reg.auth)
    ctx.expect_refusal(answer, 409, "registration_not_cancellable", "cancelling a signed request")
    ctx.expect(steps.view(ctx, reg)["state"] == before, "the refused cancellation changed the state")
