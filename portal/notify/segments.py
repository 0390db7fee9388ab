"""How many SMS parts a text costs.

GSM-7 carries 160 characters (153 per part once split); characters of the extension table
(^{}\\[~]|€ and form feed) take two. One character outside GSM-7 switches the whole text to
UCS-2: 70 characters, 67 per part, counted in UTF-16 units (an emoji takes two). French traps:
’ ê ô î ç – force UCS-2; é è à ù do not.
"""
from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsCost:
    encoding: str
    units: int
    segments: int
    per_segment: int


GSM7 = frozenset(GSM7_BASIC | GSM7_EXTENDED)


def sms_cost(text: str) -> SmsCost:
    # Whole-string operations first (a sweep costs hundreds of texts); the character walk only
    # for a multi-part text holding double-width characters, which the plain division miscounts.
    chars = set(text)
    if chars <= GSM7:
        units = len(text) + sum(text.count(c) for c in chars & GSM7_EXTENDED)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if units <= single:
        return SmsCost(encoding, units, 1 if units else 0, single)
    if units == len(text):  # every character one unit: parts are plain slices
        return SmsCost(encoding, units, -(-units // multi), multi)
    # An escape sequence or a surrogate pair is never split between two parts: when it does not
    # fit, it opens the next part, so ceil(units / multi) can count one part short.
    wide = GSM7_EXTENDED if encoding == "GSM-7" else None
    segments, used = 1, 0
    for c in text:
        size = (2 if c in wide else 1) if wide is not None else (2 if ord(c) > 0xFFFF else 1)
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return SmsCost(encoding, units, segments, multi)
