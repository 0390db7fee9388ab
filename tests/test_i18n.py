"""Translations: French is the source language (the msgids), English comes from the catalog.

The catalog test extracts every message from the source tree exactly as `pybabel extract` does
(same method map as babel.cfg, same keywords) and fails, naming them, for any string that has no
English translation, is fuzzy, or lost a placeholder. The page tests check that the app really
serves French by default and English once chosen.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.conftest import csrf_from

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "portal" / "translations"
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
# The keywords of the extract command (README / scripts): the defaults plus `-k _l -k lazy_gettext`.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}

# A printf-style conversion: `%%` (a literal percent) or `%(name)<flags><width><.precision><type>`.
_PLACEHOLDER = re.compile(r"%(?:%|\((?P<name>[^)]*)\)[#0 +\-]*\d*(?:\.\d+)?(?P<type>[diouxXeEfFgGcrsa]))")


def placeholders(text: str) -> set[str]:
    return {f"%({m['name']}){m['type']}" for m in _PLACEHOLDER.finditer(text) if m["name"] is not None}


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _read_po(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def _compile_if_stale() -> list[str]:
    """Compile every .po whose .mo is missing or older, as `pybabel compile` would. Returns the
    compiled locales."""
    compiled = []
    for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        catalog = _read_po(po)
        tmp = mo.with_name(f"{mo.name}.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        tmp.replace(mo)  # atomic: a parallel run never reads a half-written catalog
        compiled.append(po.parent.parent.name)
    return compiled


@pytest.fixture(scope="session")
def compiled_catalogs():
    return _compile_if_stale()


@pytest.fixture
def i18n_client(app, client, compiled_catalogs):
    """The test client, with Flask-Babel's translation cache emptied so that a catalog compiled
    just now (or a run where English was loaded before its .mo existed) is read afresh."""
    from portal.extensions import babel

    babel.domain_instance.cache.clear()
    return client


def _extracted_messages():
    """{(msgid, context): [locations]} for every message in the source tree."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[tuple, list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        found.setdefault((message, context), []).append(f"{filename}:{lineno}")
    return found


def _describe(msgid, locations) -> str:
    shown = msgid if isinstance(msgid, str) else " | ".join(msgid)
    return f"  {shown!r}  ({', '.join(locations[:3])})"


# --- the catalog -----------------------------------------------------------------------------

def test_extraction_finds_the_app_strings():
    """Guards the completeness test itself: an extraction that finds nothing would pass it."""
    ids = {msgid if isinstance(msgid, str) else msgid[0] for msgid, _ctx in _extracted_messages()}
    assert len(ids) > 100
    # one from Python code with _l, one from a template, one plural
    assert {"Titulaire", "Page introuvable", "Numéro de téléphone",
            "Il vous reste %(num)d code de secours."} <= ids


def test_every_string_has_an_english_translation():
    catalog = _read_po(EN_PO)
    missing, fuzzy, plural_mismatch = [], [], []
    for (msgid, context), locations in sorted(_extracted_messages().items(), key=lambda kv: str(kv[0])):
        key = msgid if isinstance(msgid, str) else msgid[0]
        entry = catalog.get(key, context=context)
        if entry is None:
            missing.append(_describe(msgid, locations))
            continue
        if entry.fuzzy:
            fuzzy.append(_describe(msgid, locations))
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(s and s.strip() for s in strings):
            missing.append(_describe(msgid, locations))
        if isinstance(msgid, tuple) != entry.pluralizable:
            plural_mismatch.append(_describe(msgid, locations))

    problems = []
    if missing:
        problems.append(f"{len(missing)} string(s) without an English translation in {_rel(EN_PO)}:\n"
                        + "\n".join(missing))
    if fuzzy:
        problems.append(f"{len(fuzzy)} fuzzy translation(s) (ignored at compile time):\n" + "\n".join(fuzzy))
    if plural_mismatch:
        problems.append("singular/plural differs between code and catalog:\n" + "\n".join(plural_mismatch))
    if problems:
        problems.append("Run `.venv/bin/python scripts/i18n.py` (extract, update the catalogs, compile), "
                        "then translate the entries above in portal/translations/en/LC_MESSAGES/messages.po "
                        "and run it again.")
    assert not problems, "\n\n".join(problems)


def test_no_fuzzy_entries_in_catalog():
    fuzzy = [m.id for m in _read_po(EN_PO) if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries in {_rel(EN_PO)}: {fuzzy}"


def test_translations_keep_placeholders():
    wrong = []
    for entry in _read_po(EN_PO):
        if not entry.id:
            continue
        if entry.pluralizable:
            pairs = list(zip(entry.id, entry.string))  # English: [0] singular, [1] plural
        else:
            pairs = [(entry.id, entry.string)]
        for source, translated in pairs:
            if translated and placeholders(source) != placeholders(translated):
                wrong.append(f"  {source!r} {sorted(placeholders(source))}\n"
                             f"    -> {translated!r} {sorted(placeholders(translated))}")
    assert not wrong, "placeholders differ between msgid and English msgstr:\n" + "\n".join(wrong)


def test_placeholder_pattern():
    assert placeholders("Il reste %(n)d essai(s) à %(when)s, 100 %% sûr") == {"%(n)d", "%(when)s"}
    assert placeholders("%(num)d segment") != placeholders("%(num)s segment")
    assert placeholders("sans variable") == set()


def test_compiled_catalog_is_up_to_date(compiled_catalogs):
    mo = EN_PO.with_suffix(".mo")
    assert mo.exists()
    assert mo.stat().st_mtime >= EN_PO.stat().st_mtime


# --- the pages -------------------------------------------------------------------------------

def _lang(page: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', page)
    assert match, "no lang attribute on <html>"
    return match.group(1)


def _choose_language(client, page: str, lang: str):
    """Submit the language switch found in `page`, as a user clicking its button."""
    form = re.search(r'<form class="language" method="post" action="([^"]+)"', page)
    assert form, "no language form on the page"
    assert f'name="lang" value="{lang}"' in page, f"no button for {lang!r} in the language form"
    return client.post(html.unescape(form.group(1)), data={"lang": lang, "csrf_token": csrf_from(page)},
                       follow_redirects=True)


def test_french_by_default_then_english_when_chosen(i18n_client):
    client = i18n_client
    r = client.get("/connexion")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert _lang(page) == "fr"
    assert "Connexion" in page
    assert "Numéro de téléphone" in page
    assert "Consultez votre dossier" in page

    r = _choose_language(client, page, "en")
    assert r.status_code == 200
    assert r.request.path == "/connexion"  # back where the choice was made
    page = r.get_data(as_text=True)
    assert _lang(page) == "en"
    assert "<title>Sign in · Sourire</title>" in page
    assert "Phone number" in page
    assert "View your file" in page
    assert "First name" in page and "Date of birth" in page
    assert "Numéro de téléphone" not in page
    assert "Consultez votre dossier" not in page
    assert 'value="fr"' in page  # now offers to switch back to French

    # the choice sticks for the next pages, and can be undone
    page = client.get("/connexion").get_data(as_text=True)
    assert _lang(page) == "en" and "Phone number" in page
    r = _choose_language(client, page, "fr")
    page = r.get_data(as_text=True)
    assert _lang(page) == "fr" and "Numéro de téléphone" in page


def test_unknown_language_is_ignored(i18n_client):
    client = i18n_client
    page = client.get("/connexion").get_data(as_text=True)
    r = client.post("/langue?next=/connexion", data={"lang": "xx", "csrf_token": csrf_from(page)},
                    follow_redirects=True)
    page = r.get_data(as_text=True)
    assert _lang(page) == "fr" and "Numéro de téléphone" in page


def test_error_page_in_french_by_default(i18n_client):
    r = i18n_client.get("/cette-page-n-existe-pas")
    assert r.status_code == 404
    page = r.get_data(as_text=True)
    assert _lang(page) == "fr"
    assert "Page introuvable" in page
    assert "Cette page n'existe pas ou n'est plus disponible." in page or \
        "Cette page n&#39;existe pas ou n&#39;est plus disponible." in page


def test_error_page_in_english_when_chosen(i18n_client):
    client = i18n_client
    _choose_language(client, client.get("/connexion").get_data(as_text=True), "en")
    r = client.get("/cette-page-n-existe-pas")
    assert r.status_code == 404
    page = r.get_data(as_text=True)
    assert _lang(page) == "en"
    assert "Page not found" in page
    assert "Page introuvable" not in page
