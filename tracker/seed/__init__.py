"""The data behind ``manage.py seed_demo``: the reference ML bootcamp and a cohort under way."""

from .builder import SeedResult, seed_demo

__all__ = ["SeedResult", "seed_demo"]
