"""Refresh the translation catalogs after changing user-facing text.

    .venv/bin/python scripts/i18n.py

Extracts the French msgids from portal/ and templates/, updates the English catalog (whose new
entries then need translating: tests/test_i18n.py names them) and the French one. French is the
source language, so its catalog only carries plural entries: without them gettext would apply
English plural rules ("0 codes") instead of French ones ("0 code").
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "portal" / "translations"


def pybabel(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def fill_french_plurals() -> int:
    path = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    filled = 0
    for message in catalog:
        if message.id and message.pluralizable:
            message.string = (message.id[0], message.id[1])
            message.flags.discard("fuzzy")
            filled += 1
    with path.open("wb") as fh:
        write_po(fh, catalog, width=76)
    return filled


def main() -> int:
    pot = TRANSLATIONS / "messages.pot"
    pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), ".")
    # No fuzzy matching: a guessed translation of a similar sentence is worse than none.
    pybabel("update", "--no-fuzzy-matching", "-i", str(pot), "-d", str(TRANSLATIONS), "-l", "en")
    if not (TRANSLATIONS / "fr").exists():
        pybabel("init", "-i", str(pot), "-d", str(TRANSLATIONS), "-l", "fr")
    else:
        pybabel("update", "--no-fuzzy-matching", "-i", str(pot), "-d", str(TRANSLATIONS), "-l", "fr")
    print(f"French plural entries filled: {fill_french_plurals()}")
    pybabel("compile", "-d", str(TRANSLATIONS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
