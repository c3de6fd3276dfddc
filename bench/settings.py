"""Settings for benchmark runs: the real configuration plus one trivial endpoint to compare with.

Served by gunicorn (``DJANGO_SETTINGS_MODULE=bench.settings``) and used in-process by the
benchmarks. Everything is Stride's own configuration except:

- ``ROOT_URLCONF`` adds ``/bench/trivial/`` (``bench.urls``), a DRF view with no
  authentication, no permission and no database, the yardstick figures 2 and 3 divide by;
- the API throttle rates are raised so the load generator is not answered 429 after 2,000
  requests: the throttle classes stay, so their cost (a cache read and write per request) is
  still measured.
"""

from tracker.settings import *  # noqa: F403
from tracker.settings import REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "anon": "100000000/hour",
        "user": "100000000/hour",
    },
}
