"""An MkDocs hook: the SDK's API reference documents every name ``jesign_sdk`` exports, or the build fails.

After the page ``sdk/api.md`` is rendered, each name of ``jesign_sdk.__all__`` must have its anchor there
(``id="jesign_sdk.<name>"``, as mkdocstrings writes it); a dunder (``__version__``) must at least be named in the
page. A name added to ``__all__`` without a docstring mkdocstrings shows, or left out of the page, stops the build.
"""

from __future__ import annotations

from typing import Any

import jesign_sdk

API_PAGE = "sdk/api.md"


def on_post_page(output: str, page: Any, config: Any) -> str:
    if page.file.src_uri != API_PAGE:
        return output
    missing = [
        name
        for name in jesign_sdk.__all__
        if (f"__{name.strip('_')}__" == name and name not in output)
        or (not name.startswith("_") and f'id="jesign_sdk.{name}"' not in output)
    ]
    if missing:
        raise RuntimeError(f"{API_PAGE} does not document these names of jesign_sdk.__all__: {', '.join(missing)}")
    return output
