"""Phone numbers: one canonical form (E.164) for storage and look-ups."""
from __future__ import annotations

from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "FR"


def normalize_phone(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """'06 12 34 56 78' -> '+33612345678'; None when it is not a possible number."""
    if not raw or not raw.strip():
        return None
    try:
        parsed = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    return kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


@lru_cache(maxsize=4096)  # parsing costs ~35 µs; a table of patients shows the same numbers again
def display_phone(e164: str | None) -> str:
    """'+33612345678' -> '06 12 34 56 78' for French numbers, international otherwise."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if parsed.country_code == 33
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(parsed, fmt)


def mask_phone(e164: str) -> str:
    """Show only the last two digits: '06 •• •• •• 78'."""
    shown = display_phone(e164)
    digits = [i for i, c in enumerate(shown) if c.isdigit()]
    keep = set(digits[:2] + digits[-2:])
    return "".join(c if (i in keep or not c.isdigit()) else "•" for i, c in enumerate(shown))
