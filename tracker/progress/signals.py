"""``pace_changed``: a learner's stored pace moved (``ahead`` / ``on_track`` / ``at_risk`` /
``behind``).

Sent by ``snapshots`` INSIDE the transaction that stores the recomputed progress row, only
when the row was stored (its token still current) and held a pace before, with plain values:
``enrollment_id``, ``old_pace``, ``new_pace``, ``risk_reasons``, ``previous_risk_reasons``,
``percent_complete``, ``expected_percent``, ``token`` and ``day`` (the facts and the local day
the new pace was computed for; together they name this change). A failing receiver fails the
store, which is logged and retried by the next reader. The webhooks room listens.
"""

from django.dispatch import Signal

pace_changed = Signal()
