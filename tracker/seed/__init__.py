"""The data behind ``manage.py seed_demo``: the reference ML bootcamp and a cohort under way.

The top feature room: it may import every room below it and the lower apps; only the command
and the benchmark import it."""

from .builder import SeedResult, seed_demo

__all__ = ["SeedResult", "seed_demo"]
