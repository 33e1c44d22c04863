"""Step 3, "pièce d'identité recto / verso": the identity document, judged before it is stored.

The judge itself is :mod:`mock_provider.core.documents`; this step applies it to the registration, checks the MRZ
(typed, or read from a side that carries it as text: :mod:`mock_provider.core.documents.reading`) against the
identity given at step 2, and stores the sides. The document number is typed only where no MRZ gives it (a driving
licence has none).
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import delete, select

from mock_provider.core import registration_breakages
from mock_provider.core.documents import (
    DocumentError,
    InspectedFile,
    check_mrz,
    inspect_document,
    inspect_image,
    parse_document_type,
)
from mock_provider.core.documents.reading import read_mrz
from mock_provider.core.ids import new_id
from mock_provider.core.misbehaviour import scenarios
from mock_provider.core.misbehaviour.areas.registration import (
    ANY_DOCUMENT_TYPE_ACCEPTED,
    BACK_SIDE_OPTIONAL,
    BAD_MRZ_ACCEPTED,
    DOCUMENT_JUDGED_BY_NAME,
    DOCUMENT_REPLACED,
    DRIVING_LICENCE_REFUSED,
    EUROPEAN_ID_CARD_REFUSED,
    FRENCH_1988_CARD_REFUSED,
    GREYSCALE_ACCEPTED,
    MRZ_NOT_READ_FROM_FILE,
    OVERSIZE_ACCEPTED,
    PDF_REFUSED,
)
from mock_provider.core.misbehaviour.areas.registration_limits import MRZ_NUMBER_UNMATCHED, SMALL_IMAGE_ACCEPTED
from mock_provider.core.models import IdentityDocument, StagedRecto
from mock_provider.core.registration.shapes import RegistrationView
from mock_provider.core.registration.states import DOCUMENTS_SUBMITTED, IDENTITY_SUBMITTED
from mock_provider.core.registration.views import Views

#: Document refusals that a breakage above tolerates: (code, field or None for any field) by switch.
_TOLERATED_DOCUMENT_ERRORS = {
    DOCUMENT_JUDGED_BY_NAME: ("unsupported_document_format", None),
    GREYSCALE_ACCEPTED: ("document_not_in_colour", None),
    OVERSIZE_ACCEPTED: ("document_too_large", None),
    SMALL_IMAGE_ACCEPTED: ("document_too_small", None),
    BACK_SIDE_OPTIONAL: ("document_missing", "back"),
}

_DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9]{4,30}$")


class IdentityDocumentStep(Views):
    """Step 3, the identity document: judged by content, colour only, MRZ checked when given."""

    def stage_recto(self, registration_id: str, *, document_type: str, front: bytes | None) -> None:
        """The screens' first page of step 3, "Veillez charger la photo recto": the recto judged alone (type,
        format, size, colour) and kept, replacing one kept before, until :meth:`submit_documents` takes the verso
        with ``front=None``. Nothing moves: the registration stays ``identity_submitted``."""
        with self.db.read() as session:
            self._require_state(self._load(session, registration_id), (IDENTITY_SUBMITTED,), "upload the recto")
        kind = parse_document_type(
            registration_breakages.document_type_as_checked(document_type or "", self.breakages),
            allow_icao_specimen=registration_breakages.icao_specimen_allowed(self.breakages),
        )
        if front is None:
            raise DocumentError("document_missing", "upload the recto of the document", field="front")
        inspect_image(
            front,
            field="front",
            max_bytes=registration_breakages.document_limit(self.config.max_document_bytes, self.breakages),
            **registration_breakages.decode_limits(self.breakages),
        )
        with self.db.transaction() as session:
            reg = self._load(session, registration_id, lock=True)
            self._require_state(reg, (IDENTITY_SUBMITTED,), "upload the recto")
            staged = session.get(StagedRecto, reg.id)
            if staged is None:
                session.add(
                    StagedRecto(registration_id=reg.id, document_type=kind.code, content=front, uploaded_at=self._now())
                )
            else:
                staged.document_type, staged.content, staged.uploaded_at = kind.code, front, self._now()

    def staged_recto(self, registration_id: str) -> str | None:
        """The document type of the recto kept by :meth:`stage_recto`, if any."""
        with self.db.read() as session:
            staged = session.get(StagedRecto, registration_id)
            return staged.document_type if staged is not None else None

    def submit_documents(
        self,
        registration_id: str,
        *,
        document_type: str,
        document_number: str | None,
        front: bytes | None,
        back: bytes | None,
        mrz: str | None,
    ) -> RegistrationView:
        """Step 3, "pièce d'identité recto / verso": judged by content, colour only, MRZ checked when given.

        The MRZ and the document number are checked before the files, so that a document refused on them costs no
        image decode; then the sides, each on its header first and with one bounded decode
        (:func:`~mock_provider.core.documents.inspect_document`). Without ``front``, the recto kept by
        :meth:`stage_recto` for this document type is taken (the screens' two pages).
        """
        uploadable = (
            (IDENTITY_SUBMITTED, DOCUMENTS_SUBMITTED) if DOCUMENT_REPLACED in self.breakages else (IDENTITY_SUBMITTED,)
        )
        with self.db.read() as session:
            reg = self._load(session, registration_id)
            self._require_state(reg, uploadable, "upload the identity document")
            assert reg.birth_date is not None
            given_name, family_name, birth_date = reg.given_name, reg.family_name, reg.birth_date
            staged = session.get(StagedRecto, reg.id) if front is None else None
            if staged is not None and staged.document_type == (document_type or "").strip().lower():
                front = staged.content
        # A DocumentError is an InvalidInput carrying its field error: it goes out as is.
        try:
            kind = parse_document_type(
                registration_breakages.document_type_as_checked(document_type or "", self.breakages),
                allow_icao_specimen=registration_breakages.icao_specimen_allowed(self.breakages),
            )
        except DocumentError:
            if ANY_DOCUMENT_TYPE_ACCEPTED not in self.breakages:
                raise
            kind = parse_document_type("id_card:fra")
        if (EUROPEAN_ID_CARD_REFUSED in self.breakages and kind.kind == "id_card" and kind.country != "FRA") or (
            DRIVING_LICENCE_REFUSED in self.breakages and kind.kind == "driving_licence"
        ):
            raise DocumentError("invalid_document_type", f"{kind.code} is not accepted", field="document_type")
        kind = registration_breakages.document_kind(kind, back, self.breakages)
        if not (mrz or "").strip() and kind.mrz_formats and MRZ_NOT_READ_FROM_FILE not in self.breakages:
            mrz = self._read_mrz(back, front)
        mrz = registration_breakages.passport_mrz_as_checked(
            registration_breakages.mrz_as_checked(
                registration_breakages.mrz_charset_as_checked(
                    registration_breakages.name_digits_as_checked(mrz, self.breakages), self.breakages
                ),
                self.breakages,
            ),
            self.breakages,
        )
        mrz = registration_breakages.personal_filler_as_checked(
            registration_breakages.mrz_issuer_as_checked(mrz, kind.country, self.breakages), self.breakages
        )
        mrz = registration_breakages.mrz_code_as_checked(mrz, kind, self.breakages)
        mrz = registration_breakages.mrz_optional_data_as_checked(mrz, self.breakages)
        # The typed fields first: they cost nothing, and a document refused on them never costs an image decode.
        number = (document_number or "").strip().upper().replace(" ", "")
        if mrz and BAD_MRZ_ACCEPTED not in self.breakages:
            result = check_mrz(
                mrz,
                document_type=kind,
                given_name=given_name,
                surname=family_name,
                birth_date=registration_breakages.mrz_birth_date(birth_date, self.breakages),
                today=registration_breakages.expiry_reference(self.clock.now().date(), self.breakages),
            )
            if result.format == "FR1988" and FRENCH_1988_CARD_REFUSED in self.breakages:
                raise DocumentError("mrz_malformed", "an MRZ of 2 lines of 36 is not supported", field="mrz")
            if registration_breakages.long_number_refused(result.document_number, self.breakages):
                raise DocumentError("mrz_malformed", "the document number is longer than 9 characters", field="mrz")
            if number and number != result.document_number and MRZ_NUMBER_UNMATCHED not in self.breakages:
                raise DocumentError(
                    "mrz_document_number_mismatch",
                    "the document number differs from the one in the MRZ",
                    field="document_number",
                )
            number = result.document_number
        if not _DOCUMENT_NUMBER.match(number):
            raise DocumentError(
                "invalid_document_number",
                "give the document number (4 to 30 letters and digits), or its MRZ when the document has one",
                "document_number",
            )
        if scenarios.reported_stolen(number):
            raise DocumentError("document_reported_stolen", "this document is reported stolen", "document_number")
        try:
            front_info, back_info = inspect_document(
                kind,
                front=registration_breakages.side_as_checked(front, self.breakages),
                back=registration_breakages.side_as_checked(back, self.breakages),
                max_bytes=registration_breakages.document_limit(self.config.max_document_bytes, self.breakages),
                **registration_breakages.decode_limits(self.breakages),
            )
        except DocumentError as refused:
            if not self._tolerated(refused) or not front:
                raise
            front_info, back_info = _unjudged(front), _unjudged(back) if back else None
        assert front is not None  # inspect_document refused a missing front
        if PDF_REFUSED in self.breakages and front_info.media_type == "application/pdf":
            raise DocumentError("unsupported_document_format", "PDF files are not accepted", field="front")
        inspected = {"front": (front, front_info)}
        if back is not None and back_info is not None:
            inspected["back"] = (back, back_info)
        with self.db.transaction() as session:
            reg = self._load(session, registration_id, lock=True)
            # Checked again under the lock: the document was judged outside any transaction, and once uploaded it
            # is not replaced by a second upload.
            self._require_state(reg, uploadable, "upload the identity document")
            now = self._now()
            if DOCUMENT_REPLACED in self.breakages:  # else the state refuses a second upload: there is none to replace
                for old in session.scalars(select(IdentityDocument).where(IdentityDocument.registration_id == reg.id)):
                    session.delete(old)
            for side, (data, info) in inspected.items():
                session.add(
                    IdentityDocument(
                        id=new_id("doc"),
                        registration_id=reg.id,
                        side=side,
                        media_type=info.media_type,
                        sha256=info.sha256,
                        size=len(data),
                        content=data,
                        uploaded_at=now,
                    )
                )
            reg.document_type = document_type
            reg.document_number = number
            session.execute(delete(StagedRecto).where(StagedRecto.registration_id == reg.id))
            self._move(
                session,
                reg,
                DOCUMENTS_SUBMITTED,
                actor=reg.user_id,
                action="documents_submitted",
                now=now,
                detail={"document_type": document_type, "sides": sorted(inspected), "mrz_checked": bool(mrz)},
            )
            return self._view(session, reg)

    def _read_mrz(self, *sides: bytes | None) -> str | None:
        """The MRZ carried as text by a side (the back first, where an identity card prints it), if any; a side
        over the size limit is left to the judge, which refuses it, unread."""
        for side in sides:
            if side and len(side) <= self.config.max_document_bytes:
                found = read_mrz(side)
                if found:
                    return found
        return None

    def _tolerated(self, refused: DocumentError) -> bool:
        """Whether a rule breakage that is on lets this document refusal through."""
        return any(
            breakage in self.breakages and refused.code == code and field in (None, refused.field)
            for breakage, (code, field) in _TOLERATED_DOCUMENT_ERRORS.items()
        )


def _unjudged(data: bytes) -> InspectedFile:
    """A file let through by a rule breakage, recorded as the JPEG it claims to be."""
    return InspectedFile("image/jpeg", len(data), hashlib.sha256(data).hexdigest(), None, None, colour_checked=False)
