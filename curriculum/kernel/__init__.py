"""Stride's kernel: the few helpers every app needs, at the very bottom of the house.

* ``clock``: the one clock (``now()``, ``today(tz)``); tests freeze it with time-machine.
* ``dates``: the span of dates accepted from people (``EARLIEST_DATE``, ``LATEST_DATE``).
* ``zones``: time zones by name, memoised (``zone``, ``zone_or_utc``).
* ``access``: the parts access rules are composed from, and ``scope`` to apply one.
* ``names``: how a person is shown (``display_name``).
* ``forms``: how a service's refusal lands on a form (admin add forms and pages alike).

It lives inside ``curriculum``, the lowest app, because the repository's top level is fixed;
it imports nothing of Stride (an import-linter contract keeps that true), so any app, room or
interface may use it.
"""
