"""Every kind of email goes out in its recipient's language: a week of the world in which the
Spanish speakers get every kind (made by the real producers: the sweep, the write events, the
roster's invitation) and an English speaker beside them keeps English."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.core import mail
from django.utils import translation

from learners.services import help_request_create, submission_create
from mentors import booking
from mentors.models import MentorSession
from mentors.services import review_create, session_update
from tests.curriculum.factories import AssignmentFactory
from tests.mentors.factories import MentorSessionFactory
from tests.mentors.operations import max_with_thursdays, utc, weekly
from tracker.mentoring.reminders import session_followups_sweep
from tracker.models import Notification
from tracker.notifications import preferences_update
from tracker.notifications.delivery import deliver
from tracker.notifications.invitations import invitation_create
from tracker.notifications.sweep import run_sweep

pytestmark = pytest.mark.django_db
Kind = Notification.Kind

# What each kind says in Spanish (its subject or body), from the catalogue's words.
SPANISH_MARKER = {
    Kind.DUE_SOON: "vence mañana",
    Kind.OVERDUE: "está atrasada",
    Kind.INACTIVE: "No se ha registrado ningún avance",
    Kind.REVIEW_WAITING: "esperando revisión",
    Kind.SESSION_UPCOMING: "Sesión de mentoría el",
    Kind.FEEDBACK_READY: "Comentarios sobre",
    Kind.WEEKLY_DIGEST: "Tu semana en Stride",
    Kind.HELP_REQUESTED: "pidió ayuda",
    Kind.MISSED_SESSIONS: "sesiones seguidas",
    Kind.SUBMISSION_RECEIVED: "entregó",
    Kind.INVITATION: "Te invitamos",
    Kind.SESSION_BOOKED: "Sesión reservada con",
    Kind.SESSION_CHANGED: "Sesión movida",
    Kind.SESSION_UNMARKED: "¿Se celebró tu sesión con",
    Kind.RATE_SESSION: "¿Qué tal tu sesión con",
}
# The template's own words, in both languages.
ENGLISH_FRAME = ("Hello ", "Open in Stride", "You receive this email", "Your username is")
SPANISH_GREETING = "Hola, "


def test_the_marker_table_names_every_kind():
    assert set(SPANISH_MARKER) == set(Kind.values)


@pytest.fixture
def week_of_email(world, clock, django_capture_on_commit_callbacks):
    """Lena, Una, Max, Mia, Sam and the newcomer read Spanish; Otto (Mia's learner) reads
    English.
    Returns the notifications of the week."""
    for person in (
        world.learner,
        world.mentor.user,
        world.other_mentor.user,
        world.staff,
        world.outsider,
        world.unpaired_learner,
    ):
        preferences_update(actor=person, language="es")
    preferences_update(actor=world.other_learner, language="en")
    before = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0

    # Due on Tuesday 17 March (week 5 of the cohort that started on 10 February).
    AssignmentFactory(program=world.program, kind="exercise", due_week=5, title="Pandas drills")
    # Two missed sessions in a row for Lena and Max: staff hear of it.
    earlier = MentorSessionFactory(
        pairing=world.pairing, scheduled_at=clock.now() - dt.timedelta(days=7)
    )
    with django_capture_on_commit_callbacks(execute=True):
        session_update(actor=world.mentor.user, session=earlier, status=MentorSession.Status.MISSED)
    with django_capture_on_commit_callbacks(execute=True):
        session_update(
            actor=world.mentor.user, session=world.session, status=MentorSession.Status.MISSED
        )
    with django_capture_on_commit_callbacks(execute=True):
        help_request_create(actor=world.learner, enrollment=world.enrollment, message="¿SGD?")
    with django_capture_on_commit_callbacks(execute=True):
        submission_create(
            actor=world.learner,
            enrollment=world.enrollment,
            assignment=world.final,
            url="https://github.com/lena/capstone",
        )
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(user=world.outsider, cohort=world.cohort, invited_by=world.staff)

    # Monday 16 March, 09:30 in Madrid: digests are due, "NumPy drills" v1 has waited days,
    # "Pandas drills" is due tomorrow, Otto is overdue, a session starts soon.
    clock.move_to(dt.datetime(2026, 3, 16, 8, 30, tzinfo=dt.UTC))
    MentorSessionFactory(pairing=world.pairing, scheduled_at=clock.now() + dt.timedelta(hours=3))
    with django_capture_on_commit_callbacks(execute=True):
        run_sweep()
    # Tuesday: Una and Otto, enrolled a week ago, have logged nothing since.
    clock.move_to(dt.datetime(2026, 3, 17, 16, 0, tzinfo=dt.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        run_sweep()
    with django_capture_on_commit_callbacks(execute=True):
        review_create(
            actor=world.mentor.user,
            submission=world.submission,
            verdict="approved",
            feedback="¡Muy bien!",
        )
    # Lena books Max's Thursday call of next week and moves it an hour on; a call of last week
    # was never marked, and a completed one waits for her rating.
    max_with_thursdays(world)
    with django_capture_on_commit_callbacks(execute=True):
        booked = booking.session_book(
            actor=world.learner, enrollment=world.enrollment, starts_at=utc(2026, 3, 26, 9)
        )
    with django_capture_on_commit_callbacks(execute=True):
        booking.session_reschedule(
            actor=world.learner, session=booked, starts_at=utc(2026, 3, 26, 10)
        )
    MentorSessionFactory(pairing=world.pairing, scheduled_at=clock.now() - dt.timedelta(days=3))
    MentorSessionFactory(
        pairing=world.pairing,
        scheduled_at=clock.now() - dt.timedelta(days=2),
        status=MentorSession.Status.COMPLETED,
    )
    session_followups_sweep()
    made = Notification.objects.filter(id__gt=before).select_related("recipient")
    return list(made.order_by("id"))


def test_every_kind_reaches_a_spanish_reader_in_spanish(world, week_of_email):
    spanish = {world.learner.pk, world.mentor.user.pk, world.other_mentor.user.pk}
    spanish |= {world.staff.pk, world.outsider.pk, world.unpaired_learner.pk}
    to_spanish = [n for n in week_of_email if n.recipient_id in spanish]
    assert {n.kind for n in to_spanish} == set(Kind.values)

    mail.outbox.clear()
    for notification in to_spanish:
        assert deliver(notification.pk) == "sent", notification.kind
    assert len(mail.outbox) == len(to_spanish)
    for notification, email in zip(to_spanish, mail.outbox, strict=True):
        html = email.alternatives[0][0]
        said = email.subject + "\n" + email.body
        kind = notification.kind
        assert SPANISH_MARKER[kind] in said, (kind, said)
        assert SPANISH_GREETING in email.body and SPANISH_GREETING in html, kind
        assert '<html lang="es">' in html, kind
        for english in ENGLISH_FRAME:
            assert english not in email.body and english not in html, (kind, english)
        if kind == Kind.INVITATION:
            assert "Elige tu contraseña" in html
            assert "Tu nombre de usuario es" in email.body
        else:
            assert "Recibes este correo" in email.body
            # The kind's name in the email's heading line.
            with translation.override("es"):
                assert str(Kind(kind).label) in html


def test_an_english_reader_beside_them_keeps_english(world, week_of_email):
    otto = [n for n in week_of_email if n.recipient_id == world.other_learner.pk]
    kinds = {n.kind for n in otto}
    assert {Kind.DUE_SOON, Kind.OVERDUE, Kind.INACTIVE} <= kinds
    due_soon = next(n for n in otto if n.kind == Kind.DUE_SOON)
    assert due_soon.subject == "“Pandas drills” is due tomorrow"
    assert "Tuesday 17 March" in due_soon.body
    # Mia reads Spanish about her English-speaking learner.
    mia_overdue = Notification.objects.get(
        recipient=world.other_mentor.user, kind=Kind.OVERDUE, dedupe_key__contains="mentor"
    )
    assert "de un estudiante está atrasada" in mia_overdue.subject
    assert "venció el martes 24 de febrero" in mia_overdue.body
    mail.outbox.clear()
    deliver(due_soon.pk)
    email = mail.outbox[0]
    assert email.body.startswith("Hello Otto")
    assert "You receive this email" in email.alternatives[0][0]
    assert '<html lang="en">' in email.alternatives[0][0]


def test_dates_and_plurals_follow_the_language(world, week_of_email):
    lena_due = Notification.objects.get(
        recipient=world.learner, kind=Kind.DUE_SOON, dedupe_key__contains="due_soon"
    )
    assert lena_due.subject == "«Pandas drills» vence mañana"
    assert "el martes 17 de marzo (mañana)" in lena_due.body
    unmarked = Notification.objects.filter(
        recipient=world.mentor.user, kind=Kind.SESSION_UNMARKED
    ).values_list("body", flat=True)
    # Three days before Tuesday 16:00 UTC, on Max's Madrid clock.
    said = "del sábado 14 de marzo de 2026, 17:00 (Europe/Madrid) aún no está marcada"
    assert any(said in body for body in unmarked), list(unmarked)
    booked = Notification.objects.get(recipient=world.learner, kind=Kind.SESSION_BOOKED)
    assert booked.subject == (
        "Sesión reservada con Max Mentor: jueves 26 de marzo de 2026, 10:00 (Europe/Madrid)"
    )
    session = Notification.objects.get(recipient=world.learner, kind=Kind.SESSION_UPCOMING)
    # 11:30 UTC is 12:30 in Madrid.
    assert "empieza el lunes 16 de marzo a las 12:30 (Europe/Madrid)" in session.body


def _invitation_event(message):
    parts = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    calendar = icalendar.Calendar.from_ical(parts[0].get_payload(decode=True))
    return next(iter(calendar.walk("VEVENT")))


def test_a_booking_between_two_languages_speaks_each_ones(
    world, clock, django_capture_on_commit_callbacks
):
    """Otto (English) books Mia (Spanish): each reads the email, its dates and the calendar
    invitation's title and description in their own language; so does the cancellation."""
    preferences_update(actor=world.other_learner, language="en", timezone="Europe/Madrid")
    preferences_update(actor=world.other_mentor.user, language="es", timezone="Europe/Madrid")
    world.other_mentor.meeting_url = "https://meet.example.com/mia"
    world.other_mentor.timezone = "Europe/Madrid"
    world.other_mentor.save()
    weekly(world.other_mentor, 3, 10)
    with django_capture_on_commit_callbacks(execute=True):
        session = booking.session_book(
            actor=world.other_learner,
            enrollment=world.other_enrollment,
            starts_at=utc(2026, 3, 19, 9),
        )
    with django_capture_on_commit_callbacks(execute=True):
        booking.session_cancel(actor=world.other_mentor.user, session=session, reason="Congreso")
    made = Notification.objects.filter(
        kind__in=[Kind.SESSION_BOOKED, Kind.SESSION_CHANGED]
    ).order_by("id")
    by = {(n.kind, n.recipient_id): n for n in made}
    otto, mia = world.other_learner.pk, world.other_mentor.user.pk
    assert by[Kind.SESSION_BOOKED, otto].subject == (
        "Session booked with Mia Mentor: Thursday 19 March 2026, 10:00 (Europe/Madrid)"
    )
    assert (
        "jueves 19 de marzo de 2026, 10:00 (Europe/Madrid)" in by[Kind.SESSION_BOOKED, mia].subject
    )
    assert by[Kind.SESSION_BOOKED, mia].subject.startswith("Sesión reservada con Otto")
    assert "Únete a la llamada: https://meet.example.com/mia" in by[Kind.SESSION_BOOKED, mia].body
    assert by[Kind.SESSION_CHANGED, otto].subject.startswith("Session cancelled: Thursday")
    assert by[Kind.SESSION_CHANGED, mia].subject.startswith("Sesión cancelada: jueves")
    assert "Motivo: Congreso" in by[Kind.SESSION_CHANGED, mia].body

    for kind in (Kind.SESSION_BOOKED, Kind.SESSION_CHANGED):
        mail.outbox.clear()
        assert deliver(by[kind, otto].pk) == "sent"
        assert deliver(by[kind, mia].pk) == "sent"
        english, spanish = mail.outbox
        assert "The calendar invitation attached updates" in english.body
        assert "La invitación de calendario adjunta actualiza" in spanish.body
        assert "The calendar invitation attached" not in spanish.alternatives[0][0]
        english_event, spanish_event = _invitation_event(english), _invitation_event(spanish)
        assert str(english_event["SUMMARY"]).startswith("Mentor session: ")
        assert str(spanish_event["SUMMARY"]).startswith("Sesión de mentoría: ")
        assert "Your weekly mentor call." in str(english_event["DESCRIPTION"])
        assert "Tu llamada semanal de mentoría." in str(spanish_event["DESCRIPTION"])
        # The same event for both: one UID, one SEQUENCE.
        assert english_event["UID"] == spanish_event["UID"]
        assert english_event["SEQUENCE"] == spanish_event["SEQUENCE"]
    assert "Motivo: Congreso" in str(spanish_event["DESCRIPTION"])
    assert "Reason: Congreso" in str(english_event["DESCRIPTION"])
