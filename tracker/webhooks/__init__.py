"""Outbound webhooks: events pushed to receivers staff register, signed, retried for a day.

How an event travels:

1. A write records its event in its own transaction (``events.event_record``, called by the
   receivers in ``receivers.py``, which listen to the lower apps' in-transaction announcement
   ``learners.signals.event_recorded`` and to ``tracker.progress.signals.pace_changed``): one
   ``WebhookEvent`` row (a stable ``event_id``) and one ``WebhookMessage`` outbox row per
   active endpoint that wants the kind. A rolled-back write leaves neither.
2. Once it commits, a ``deliver_webhook`` task is published per message (``tracker.jobs``).
3. ``sending.deliver`` claims the message, checks the endpoint's address again (DNS may have
   changed since registration: ``guard``), POSTs the signed body and logs the attempt as a
   ``WebhookDelivery`` row. A 2xx answer delivers the message; anything else schedules the
   next attempt with exponential backoff until the retry window (a day) has passed, then the
   message is failed. The minute sweep (``sending.sweep``) publishes due messages no task
   carries (broker down, dead worker): delivery is at least once, with the same event id on
   every attempt so receivers drop duplicates.

Offers ``services`` (endpoints, "send again"), ``selectors`` (what staff read), ``events``
(the event types and ``event_record``), ``sending`` (``deliver``, ``sweep``, ``signature``).
Imports ``tracker.deployments`` (the capstone check's address guard), ``tracker.progress``,
``tracker.jobs``, the models and the lower apps; the wiring, the API and the pages import it.
"""
