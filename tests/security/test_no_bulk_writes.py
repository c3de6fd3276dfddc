"""Guard: product code never changes an audited model with a write that bypasses the trail
(``QuerySet.update()``, ``bulk_create``, ``bulk_update`` skip the history signals)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

from tracker.security.audit import AUDITED_MODELS

BASE_DIR = Path(settings.BASE_DIR)
AUDITED = {model.__name__ for model in AUDITED_MODELS}
BYPASSING = {"update", "bulk_create", "bulk_update"}
# The demo seeder bulk-creates a fresh demo (creation only, nothing to audit before it).
ALLOWED = {Path("tracker/seed/builder.py")}


def product_files() -> list[Path]:
    files = []
    for app in ("curriculum", "learners", "mentors", "tracker"):
        for path in (BASE_DIR / app).rglob("*.py"):
            relative = path.relative_to(BASE_DIR)
            if "migrations" in relative.parts or relative in ALLOWED:
                continue
            files.append(path)
    return sorted(files)


def root_model(node: ast.AST) -> str | None:
    """``Submission`` for ``Submission.objects.filter(...).update(...)``'s receiver chain."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr == "objects" and isinstance(node.value, ast.Name):
                return node.value.id
            node = node.value
        else:
            return None


def bypassing_writes(source: str, name: str) -> list[str]:
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in BYPASSING
            and root_model(node.func.value) in AUDITED
        ):
            found.append(f"{name}:{node.lineno}")
    return found


def test_the_guard_finds_a_bypassing_write():
    source = (
        "Submission.objects.filter(pk=1).update(status='approved')\n"
        "Notification.objects.filter(pk=1).update(read_at=None)\n"
        "Enrollment.objects.bulk_create([])\n"
    )
    assert bypassing_writes(source, "sample.py") == ["sample.py:1", "sample.py:3"]


@pytest.mark.parametrize("path", product_files(), ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_no_audited_model_is_written_around_the_trail(path):
    relative = str(path.relative_to(BASE_DIR))
    assert bypassing_writes(path.read_text(encoding="utf-8"), relative) == []
