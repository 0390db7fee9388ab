"""Text normalisation for matching names typed on a phone against the practice's records."""
from __future__ import annotations

import re
import unicodedata

_NOT_LETTER = re.compile(r"[\W_]+")


def name_key(value: str | None) -> str:
    """"  Lefèvre-D'Arc " -> "lefevre d arc": case, accents and punctuation do not matter.

    Letters of other scripts are kept as they are (casefolded), so a name written in Cyrillic or
    Arabic still has a key of its own rather than an empty one.
    """
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return _NOT_LETTER.sub(" ", stripped).strip()


def compact_key(value: str | None) -> str:
    """`name_key` without spaces: "Le Goff" and "LEGOFF" are the same name to a parent typing it."""
    return name_key(value).replace(" ", "")
