"""``manage.py messages``: refresh the Spanish catalogue from the code, then compile it;
``manage.py messages --compile``: only compile it (the build does this: the ``.mo`` files are
build output, not kept in git).

``make messages`` runs the first. Afterwards every new msgid in
``locale/es/LC_MESSAGES/django.po`` has an empty msgstr (or a ``#, fuzzy`` guess from msgmerge):
translate those, remove the fuzzy flags and compile; ``tests/test_translations.py`` lists
whatever is still missing. English is the source language (the msgids), so it has no catalogue.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from contextlib import chdir
from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, call_command

# Stride's own code and templates; never the tests, benchmarks, docs or installed packages.
IGNORE_PATTERNS = [
    ".venv",
    "var",
    "tests",
    "bench",
    "docs",
    "bin",
    "requirements",
    "static",
    "build",
    "dist",
    "node_modules",
]
LANGUAGES_WITH_CATALOGUE = ["es"]
MAKEMESSAGES_OPTIONS = {
    "locale": LANGUAGES_WITH_CATALOGUE,
    "domain": "django",
    "ignore_patterns": IGNORE_PATTERNS,
    # File names without line numbers: a moved line does not change the catalogue.
    "add_location": "file",
    "no_obsolete": True,
    "verbosity": 0,
}


def catalogues() -> list[Path]:
    return sorted(
        po for path in settings.LOCALE_PATHS for po in Path(path).glob("*/LC_MESSAGES/django.po")
    )


def compile_catalogue() -> list[Path]:
    """Compile every ``.po`` whose ``.mo`` is missing or older (``msgfmt --check``), each
    written to a temporary file and moved into place, so parallel test processes never read a
    half-written one. Returns the files compiled."""
    compiled = []
    for po in catalogues():
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        handle, temporary = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        os.close(handle)
        try:
            subprocess.run(["msgfmt", "--check", "-o", temporary, str(po)], check=True)
            os.replace(temporary, mo)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        compiled.append(mo)
    return compiled


class Command(BaseCommand):
    help = "Refresh locale/es/LC_MESSAGES/django.po from the code and compile the catalogue."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--compile", action="store_true", help="Only compile the catalogue (the build)."
        )

    def handle(self, *args, **options) -> None:
        if not options["compile"]:
            with chdir(settings.BASE_DIR):
                call_command("makemessages", **MAKEMESSAGES_OPTIONS)
        # Django's compilemessages walks the tree below the working directory for "locale"
        # folders (a .venv's packages too): from inside locale/ it finds only LOCALE_PATHS.
        with chdir(Path(settings.LOCALE_PATHS[0])):
            call_command("compilemessages", locale=LANGUAGES_WITH_CATALOGUE, verbosity=0)
        self.stdout.write("Catalogue compiled: " + ", ".join(LANGUAGES_WITH_CATALOGUE))
