"""Text normalisation for matching names typed on a phone against the practice's records."""
from __future__ import annotations

import re
import unicodedata

_NOT_LETTER = re.compile(r"[^a-z0-9]+")


def name_key(value: str | None) -> str:
    """'  Lefèvre-D'Arc ' -> 'lefevre d arc': case, accents, hyphens and spacing do not matter."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    ascii_only = ascii_only.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return _NOT_LETTER.sub(" ", ascii_only).strip()
