"""Stride's benchmarks: seeded at scale, timed, printed with their goals (``bin/bench``)."""
