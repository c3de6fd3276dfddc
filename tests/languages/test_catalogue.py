"""The catalogue is complete: every message the code and templates mark for translation has a
Spanish translation, none of them fuzzy, each with the same placeholders (English is the source
language: the msgids themselves).

The check extracts the messages afresh (``makemessages``, with the options ``make messages``
uses) into a copy of the sources, so a message added to the code but never put in the
catalogue fails here too, and the failure lists every missing msgid.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from tracker.management.commands.messages import IGNORE_PATTERNS, MAKEMESSAGES_OPTIONS

BASE = Path(settings.BASE_DIR)
SOURCES = ["curriculum", "learners", "mentors", "tracker", "templates"]
CATALOGUE = Path("locale/es/LC_MESSAGES/django.po")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
ENTRY = re.compile(r"\n\n(?=(?:#[^\n]*\n)*(?:msgctxt|msgid) )")


def parse(text: str) -> list[dict]:
    """Entries of a .po file: flags, msgid, msgid_plural and the msgstr(s), unescaped."""
    entries = []
    for block in ENTRY.split(text.strip()):
        fields: dict[str, list[str]] = {}
        flags: set[str] = set()
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif match := re.match(
                r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line
            ):
                key = match.group(1)
                fields[key] = [match.group(2)]
            elif line.startswith('"') and key:
                fields[key].append(line[1:-1])
        text_of = {
            k: "".join(v).encode().decode("unicode_escape").encode("latin-1").decode()
            for k, v in fields.items()
        }
        entries.append({"flags": flags, **text_of})
    return [entry for entry in entries if entry.get("msgid")]


def problems(entries: list[dict]) -> list[str]:
    found = []
    for entry in entries:
        msgid = entry["msgid"]
        translations = [v for k, v in entry.items() if k.startswith("msgstr")]
        if "fuzzy" in entry["flags"]:
            found.append(f"fuzzy: {msgid!r}")
        elif not translations or not all(t.strip() for t in translations):
            found.append(f"untranslated: {msgid!r}")
        else:
            # Plural forms may drop the number ("un día"); msgfmt --check covers them.
            wanted = sorted(PLACEHOLDER.findall(msgid))
            for translation in translations:
                if (
                    "msgid_plural" not in entry
                    and sorted(PLACEHOLDER.findall(translation)) != wanted
                ):
                    found.append(f"placeholders differ: {msgid!r} -> {translation!r}")
    return found


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory) -> Path:
    """The catalogue after extracting every message of a copy of the sources."""
    root = tmp_path_factory.mktemp("sources")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", *IGNORE_PATTERNS)
    for name in SOURCES:
        shutil.copytree(BASE / name, root / name, ignore=ignore)
    shutil.copytree(BASE / "locale", root / "locale", ignore=shutil.ignore_patterns("*.mo"))
    with override_settings(LOCALE_PATHS=[root / "locale"]):
        previous = Path.cwd()
        try:
            os.chdir(root)
            call_command("makemessages", **MAKEMESSAGES_OPTIONS)
        finally:
            os.chdir(previous)
    return root / CATALOGUE


def test_every_message_in_the_code_has_a_spanish_translation(fresh_catalogue):
    entries = parse(fresh_catalogue.read_text(encoding="utf-8"))
    assert len(entries) > 300  # the extraction found the product's messages
    missing = problems(entries)
    assert not missing, (
        f"{len(missing)} messages lack a Spanish translation. Run `make messages`, translate "
        f"them in {CATALOGUE} and compile:\n" + "\n".join(missing)
    )


def test_the_kept_catalogue_is_the_extracted_one(fresh_catalogue):
    """Nothing in the code is missing from the committed catalogue, and nothing stale stays."""
    kept = {entry["msgid"] for entry in parse((BASE / CATALOGUE).read_text(encoding="utf-8"))}
    fresh = {entry["msgid"] for entry in parse(fresh_catalogue.read_text(encoding="utf-8"))}
    assert sorted(fresh - kept) == [], "run `make messages`"
    assert sorted(kept - fresh) == [], "run `make messages` (it drops obsolete messages)"


def test_the_catalogue_compiles_with_gettexts_checks():
    """msgfmt's own checks: header, plural forms, and python-format placeholders."""
    result = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(BASE / CATALOGUE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_check_finds_an_untranslated_and_a_fuzzy_message():
    sample = (
        'msgid ""\nmsgstr ""\n"Language: es\\n"\n\n'
        'msgid "Translated"\nmsgstr "Traducido"\n\n'
        'msgid "Left out"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid "Guessed %(n)s"\nmsgstr "Adivinado %(n)s"\n\n'
        'msgid "Renamed %(count)s"\nmsgstr "Renombrado %(cuenta)s"\n'
    )
    assert problems(parse(sample)) == [
        "untranslated: 'Left out'",
        "fuzzy: 'Guessed %(n)s'",
        "placeholders differ: 'Renamed %(count)s' -> 'Renombrado %(cuenta)s'",
    ]
