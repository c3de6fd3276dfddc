"""Access rules in Kolibri's shape: one object per model, composed from small parts.

Each rule answers ``can_read/can_create/can_update/can_delete(user, obj)`` and
``readable_by(user) -> Q``. The API's single permission class and filter backend (in
``tracker/api/permissions.py``) and the pages delegate to these objects, so scope is defined once.
The parts here know nothing of other apps: they work on lookup paths, and the apps above
compose them for their own models.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from django.db.models import Q, QuerySet

NOTHING = Q(pk__in=[])
EVERYTHING = Q()


def is_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class Part(ABC):
    """One clause of a rule: the rows a user may reach, as a Q, and the same test for one row."""

    @abstractmethod
    def q(self, user: Any) -> Q:
        """The rows ``user`` may reach through this part."""

    def check(self, user: Any, obj: Any) -> bool:
        model = type(obj)
        return model._default_manager.filter(self.q(user), pk=obj.pk).exists()

    def __or__(self, other: Part) -> AnyOf:
        return AnyOf(self, other)


class AnyOf(Part):
    def __init__(self, *parts: Part) -> None:
        self.parts = parts

    def q(self, user: Any) -> Q:
        result = NOTHING
        for part in self.parts:
            clause = part.q(user)
            if not clause:
                # An empty Q means every row; Django drops it when OR-ing, so say it outright.
                return EVERYTHING
            result |= clause
        return result

    def check(self, user: Any, obj: Any) -> bool:
        return any(part.check(user, obj) for part in self.parts)


class IsStaff(Part):
    def q(self, user: Any) -> Q:
        return EVERYTHING if is_staff(user) else NOTHING

    def check(self, user: Any, obj: Any) -> bool:
        return is_staff(user)


class IsOwn(Part):
    """The row belongs to the user along ``path`` (e.g. ``"enrollment__learner"``)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def q(self, user: Any) -> Q:
        if not (user and user.is_authenticated):
            return NOTHING
        return Q(**{f"{self.path}_id": user.pk})

    def check(self, user: Any, obj: Any) -> bool:
        if not (user and user.is_authenticated):
            return False
        *hops, last = self.path.split("__")
        value = obj
        for attr in hops:
            value = getattr(value, attr, None)
            if value is None:
                return False
        return getattr(value, f"{last}_id", None) == user.pk


class Nobody(Part):
    def q(self, user: Any) -> Q:
        return NOTHING

    def check(self, user: Any, obj: Any) -> bool:
        return False


class Rule:
    """A model's access rule. Subclasses set the parts; methods may be overridden for rules
    that depend on the object's state (e.g. a log editable only within 24 hours)."""

    read: Part = IsStaff()
    create: Part = IsStaff()
    update: Part = IsStaff()
    delete: Part = IsStaff()

    def readable_by(self, user: Any) -> Q:
        return self.read.q(user)

    def can_read(self, user: Any, obj: Any) -> bool:
        return self.read.check(user, obj)

    def can_create(self, user: Any, obj: Any) -> bool:
        return self.create.check(user, obj)

    def can_update(self, user: Any, obj: Any) -> bool:
        return self.update.check(user, obj)

    def can_delete(self, user: Any, obj: Any) -> bool:
        return self.delete.check(user, obj)


def scope(queryset: QuerySet, rule: Any, user: Any, *, condition: Q | None = None) -> QuerySet:
    """``queryset`` limited to what ``rule`` lets ``user`` read, without duplicate rows.

    Rules may follow many-valued relations (an enrollment's pairings), which would repeat
    rows in a join; a primary-key subquery keeps each row once and the query count unchanged.
    ``condition`` is ``rule.readable_by(user)`` when the caller has it already.
    """
    if condition is None:
        condition = rule.readable_by(user)
    if condition == Q():
        return queryset
    model = queryset.model
    return queryset.filter(pk__in=model._default_manager.filter(condition).values("pk"))
