"""The caller's role, looked up once per user object (one request) and cached on it."""

from __future__ import annotations

from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from curriculum.kernel.access import is_staff
from learners.models import Enrollment
from mentors.models import Mentor

Role = Literal["staff", "mentor", "learner"]

_CACHE_ATTR = "_stride_role"


def role_of(user: Any) -> Role | None:
    """``"staff"`` for active staff, ``"mentor"`` for an active mentor profile, ``"learner"`` for
    anyone with an enrollment, else ``None`` (anonymous users too). At most one query per user
    object; the answer is cached on it."""
    if not (user and user.is_authenticated):
        return None
    cached = getattr(user, _CACHE_ATTR, False)
    if cached is not False:
        return cached
    role: Role | None
    if is_staff(user):
        role = "staff"
    else:
        flags = (
            get_user_model()
            .objects.filter(pk=user.pk)
            .annotate(
                is_mentor=Exists(Mentor.objects.filter(user_id=OuterRef("pk"), is_active=True)),
                is_learner=Exists(Enrollment.objects.filter(learner_id=OuterRef("pk"))),
            )
            .values("is_mentor", "is_learner")
            .first()
        )
        if flags and flags["is_mentor"]:
            role = "mentor"
        elif flags and flags["is_learner"]:
            role = "learner"
        else:
            role = None
    setattr(user, _CACHE_ATTR, role)
    return role


def forget_role(user: Any) -> None:
    """Drop the cached role (after a write that changes it, e.g. creating a mentor profile)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
