"""The review as a PDF, made offline by WeasyPrint from the stored HTML, with the frozen
JSON embedded as an attachment. WeasyPrint needs Pango (Debian: libpango-1.0-0,
libpangoft2-1.0-0) and fonts (fonts-dejavu-core); where it or they are missing, `render`
answers None, `missing()` says what to install, and everything else works."""

from __future__ import annotations

import logging
from functools import cache

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "PDFs need WeasyPrint and its system libraries: pip install weasyprint, and on "
    "Debian apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core."
)


@cache
def missing() -> str:
    """Why PDFs cannot be made here ("" when they can)."""
    try:
        # Optional, and loading it opens Pango: only here, and once (cached).
        import weasyprint  # noqa: F401
    except ImportError:
        return INSTALL_HINT
    except OSError as exc:  # the package is there, a shared library is not
        log.warning("WeasyPrint cannot load its libraries: %s", exc)
        return INSTALL_HINT
    return ""


def render(html: str, json_text: str, *, name: str) -> bytes | None:
    """The PDF of `html`, with `json_text` attached as `<name>.json`; None when WeasyPrint
    cannot run here."""
    if missing():
        return None
    # Optional: imported only once missing() found it loads (a missing library is an
    # OSError at import time).
    from weasyprint import HTML, Attachment

    attachment = Attachment(
        string=json_text, base_url=None, name=f"{name}.json", description="The frozen review"
    )
    return HTML(string=html, base_url=None).write_pdf(attachments=[attachment])
