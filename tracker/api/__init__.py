"""The REST interface (``/api/v1/``): routed by ``urls.py``, one module per area in ``views/``.

Thin: each view makes one call into a selector (reads, with ``fetched_by``) or a service
(writes) of the rooms and apps below; authorization is the rule objects' (``permissions.py``).
It never imports ``tracker.web``, and no room imports it."""
