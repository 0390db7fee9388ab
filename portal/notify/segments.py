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
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if units <= single:
        return SmsCost(encoding, units, 1 if units else 0, single)
    return SmsCost(encoding, units, -(-units // multi), multi)
