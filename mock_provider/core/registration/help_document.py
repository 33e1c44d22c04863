"""« Comment télécharger sa pièce d'identité »: the help document the guide says comes attached to the registration
e-mail ("en PJ du mail et disponible sur le site jesignexpert.com"), made here as a one-page PDF from the guide's
own rules of step 3 and the mock's limits."""

from __future__ import annotations

import functools

from mock_provider.core.outbox import Attachment
from mock_provider.core.text_pdf import text_pdf

__all__ = ["HELP_DOCUMENT_NAME", "help_document"]

HELP_DOCUMENT_NAME = "comment-telecharger-sa-piece-d-identite.pdf"


@functools.cache
def help_document(max_document_bytes: int) -> Attachment:
    """The help document, for a mock whose limit per side is ``max_document_bytes``."""
    megabytes = max_document_bytes / (1024 * 1024)
    limit = f"{megabytes:g} Mo" if megabytes >= 1 else f"{max_document_bytes // 1024} Ko"
    lines = [
        "Pièces acceptées : carte nationale d'identité, passeport, permis de conduire français,",
        "titre de séjour français, carte d'identité d'un pays de l'Union européenne, de l'EEE ou de la Suisse.",
        "",
        "Le document doit être en couleur, au format .jpg, .jpeg, .png ou .pdf, lisible",
        "et contenir l'intégralité de la face présentée.",
        f"Chaque face pèse au plus {limit}.",
        "",
        "1. Posez la pièce à plat, sur un fond uni, dans un endroit bien éclairé, sans reflet.",
        "2. Photographiez le recto en entier, les quatre coins visibles ; puis le verso (sauf le passeport).",
        "3. Vérifiez que la bande de lecture automatique (MRZ) en bas de la pièce est nette.",
        "4. Ne recadrez pas la photo au ras du texte et ne la convertissez pas en noir et blanc.",
        "",
        "Une photo floue, tronquée ou en noir et blanc est refusée : recommencez simplement l'envoi.",
        "",
        "Document de TEST du mock jesign : rien de réel.",
    ]
    content = text_pdf("Comment télécharger sa pièce d'identité", lines)
    return Attachment(HELP_DOCUMENT_NAME, "application/pdf", content)
