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


def sms_cost(text: str) -> SmsCost:
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text):
        sizes = [2 if c in GSM7_EXTENDED else 1 for c in text]
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        sizes = [len(c.encode("utf-16-le")) // 2 for c in text]
        single, multi, encoding = 70, 67, "UCS-2"
    units = sum(sizes)
    if units <= single:
        return SmsCost(encoding, units, 1 if units else 0, single)
    # An escape sequence or a surrogate pair is never split between two parts: when it does not
    # fit, it opens the next part, so ceil(units / multi) can count one part short.
    segments, used = 1, 0
    for size in sizes:
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return SmsCost(encoding, units, segments, multi)
