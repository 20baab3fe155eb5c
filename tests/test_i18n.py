"""The zh_Hans catalog is complete, compiled, and in step with its source."""

import gettext
from pathlib import Path

from django.utils import translation

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES"


def _po_entries():
    """(msgid, msgstr) pairs from the .po, parsed plainly (no extra dependency). A
    message with a context is keyed "context\x04msgid", as gettext stores it."""
    entries, key, buf = {}, None, {}
    for line in [*(LOCALE / "django.po").read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith(("msgctxt ", "msgid ", "msgid_plural ", "msgstr ", "msgstr[")):
            key = line.split(" ", 1)[0]
            buf[key] = line.split(" ", 1)[1][1:-1]
        elif line.startswith('"') and key:
            buf[key] += line[1:-1]
        elif not line.strip() and buf:
            if buf.get("msgid"):
                key = (buf["msgctxt"] + "\x04" if "msgctxt" in buf else "") + buf["msgid"]
                entries[key] = buf.get("msgstr", buf.get("msgstr[0]", ""))
            buf, key = {}, None
    return entries


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = _po_entries()
    assert len(entries) > 50
    assert [m for m, s in entries.items() if not s] == []
    body = (LOCALE / "django.po").read_text(encoding="utf-8")
    assert "#, fuzzy" not in body


def test_the_compiled_catalog_matches_the_source():
    with open(LOCALE / "django.mo", "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for msgid, msgstr in _po_entries().items():
        if "%(counter)s" in msgid:
            continue
        assert compiled.gettext(msgid.replace('\\"', '"')) == msgstr.replace('\\"', '"'), msgid


def test_django_serves_chinese_by_default_and_english_on_request():
    with translation.override("zh-hans"):
        assert translation.gettext("Compounds") == "小区"
        assert translation.gettext("Old Compound Renovation Portal") == "老旧小区改造管理平台"
    with translation.override("en"):
        assert translation.gettext("Compounds") == "Compounds"
