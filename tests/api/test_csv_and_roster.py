"""The streamed progress CSV (same fields, formulas neutralised) and the roster import."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from learners.models import Enrollment
from mentors.models import Pairing
from tests.api.conftest import client_for
from tests.api.test_permissions import snapshot
from tests.learners.factories import EnrollmentFactory, LearnerFactory
from tracker.models import Notification, ProgressSnapshot
from tracker.notifications.delivery import deliver
from tracker.progress.csv_lines import COLUMNS as CSV_COLUMNS
from tracker.progress.csv_lines import line, neutralise


def read_csv(response) -> list[dict[str, str]]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize("value", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(value):
    assert neutralise(value) == "'" + value


def test_plain_cells_are_kept():
    assert neutralise("Ada Lovelace") == "Ada Lovelace"
    assert neutralise(None) == ""
    assert neutralise(42.5) == "42.5"


def test_csv_streams_the_json_rows_and_neutralises_names(world):
    world.learner.first_name = '=HYPERLINK("http://evil")'
    world.learner.save()
    client = client_for(world.staff)
    json_rows = client.get(f"/api/v1/cohorts/{world.cohort.pk}/progress/").data["results"]
    response = client.get(f"/api/v1/cohorts/{world.cohort.pk}/progress.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert list(rows[0].keys()) == CSV_COLUMNS
    assert {int(row["enrollment"]) for row in rows} == {row["enrollment"] for row in json_rows}
    by_id = {int(row["enrollment"]): row for row in rows}
    for row in json_rows:
        line = by_id[row["enrollment"]]
        assert line["pace"] == row["pace"]
        assert float(line["percent_complete"]) == row["percent_complete"]
        assert line["learner_username"] == row["learner"]["username"]
    ada = by_id[world.enrollment.pk]
    assert ada["learner_name"].startswith("'=")


def test_csv_is_scoped_like_the_json(world):
    rows = read_csv(
        client_for(world.learner).get(f"/api/v1/cohorts/{world.cohort.pk}/progress.csv")
    )
    assert [int(row["enrollment"]) for row in rows] == [world.enrollment.pk]


def csv_body(client, cohort, query: str = "") -> bytes:
    response = client.get(f"/api/v1/cohorts/{cohort.pk}/progress.csv{query}")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_each_stored_row_keeps_its_csv_line_and_the_export_joins_them(world):
    client = client_for(world.staff)
    computed = csv_body(client, world.cohort)  # the rows are computed and stored here
    stored = ProgressSnapshot.objects.filter(enrollment__cohort=world.cohort)
    assert stored.count() == len(computed.decode("utf-8-sig").splitlines()) - 1
    for row in stored:
        assert row.csv == line(json.loads(row.data))
    # Read again from the stored lines: the same bytes.
    assert csv_body(client, world.cohort) == computed
    # A fresh row stored before the column existed (no line): written from its JSON.
    stored.update(csv="")
    assert csv_body(client, world.cohort) == computed
    # With ?pace= the rows are parsed and filtered, lines written the same way.
    pace = json.loads(stored.get(enrollment=world.enrollment).data)["pace"]
    paced = csv_body(client, world.cohort, f"?pace={pace}").decode("utf-8-sig").splitlines()
    assert paced[0] == ",".join(CSV_COLUMNS)
    assert all(f",{pace}," in text for text in paced[1:])
    assert str(world.enrollment.pk) in {text.split(",")[0] for text in paced[1:]}


def test_progress_filters_by_pace(world):
    client = client_for(world.staff)
    rows = client.get(f"/api/v1/cohorts/{world.cohort.pk}/progress/").data["results"]
    pace = rows[0]["pace"]
    filtered = client.get(f"/api/v1/cohorts/{world.cohort.pk}/progress/?pace={pace}").data
    assert filtered["count"] == sum(1 for row in rows if row["pace"] == pace)
    assert all(row["pace"] == pace for row in filtered["results"])
    assert client.get(f"/api/v1/cohorts/{world.cohort.pk}/progress/?pace=fast").status_code == 400


# --- Roster -------------------------------------------------------------------------------------
def deliver_the_outbox() -> list[str]:
    """What the delivery tasks do after the request: send every invitation still owed (the
    world's own pending reminder is not this file's business)."""
    pending = Notification.objects.filter(
        kind=Notification.Kind.INVITATION, email_state=Notification.EmailState.PENDING
    )
    return [deliver(pk) for pk in pending.order_by("pk").values_list("pk", flat=True)]


def upload(client, cohort, text: str | bytes):
    content = text.encode() if isinstance(text, str) else text
    return client.post(
        f"/api/v1/cohorts/{cohort.pk}/roster/",
        {"file": SimpleUploadedFile("roster.csv", content, content_type="text/csv")},
        format="multipart",
    )


def test_roster_creates_invites_enrolls_and_pairs(world, django_capture_on_commit_callbacks):
    client = client_for(world.staff)
    text = (
        "email,first_name,last_name,mentor_email\n"
        f"grace@example.com,Grace,Hopper,{world.mentor_user.email}\n"
        f"{world.outsider.email},New,Comer,\n"
        f"{world.learner.email},Ada,Lovelace,\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, world.cohort, text)
    assert response.status_code == 201, response.data
    assert response.data["created"] == 1
    assert response.data["enrolled"] == 2
    assert response.data["paired"] == 1
    assert response.data["skipped"] == [
        {"row": 4, "email": world.learner.email, "reason": "already enrolled"}
    ]
    grace = Enrollment.objects.get(cohort=world.cohort, learner__email="grace@example.com")
    assert not grace.learner.has_usable_password()
    assert Pairing.objects.get(enrollment=grace, ended_at__isnull=True).mentor == world.mentor
    assert Enrollment.objects.filter(cohort=world.cohort, learner=world.outsider).exists()
    # The invitation waits in the outbox: nothing is sent during the request...
    assert mail.outbox == []
    invitation = Notification.objects.get(kind=Notification.Kind.INVITATION)
    assert invitation.recipient == grace.learner
    assert "/reset/" not in invitation.body  # the link's token is made at sending, not stored
    # ...and the delivery sends it once, with a working set-your-password link.
    assert deliver_the_outbox() == ["sent"]
    assert deliver_the_outbox() == []
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["grace@example.com"]
    assert world.cohort.name in mail.outbox[0].subject
    assert grace.learner.username in mail.outbox[0].body
    link = next(word for word in mail.outbox[0].body.split() if "/reset/" in word)
    page = Client().get(link.split("127.0.0.1:8000", 1)[-1], follow=True)
    assert page.status_code == 200
    assert page.context["validlink"]


def test_roster_is_all_or_nothing_with_row_errors(world, django_capture_on_commit_callbacks):
    text = (
        "email,first_name,last_name,mentor_email\n"
        "good@example.com,Good,Row,\n"
        "not-an-email,Bad,Email,\n"
        "good@example.com,Dupe,Row,\n"
        "x@example.com,,Nameless,\n"
        "y@example.com,Y,Z,nobody@example.com\n"
    )
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client_for(world.staff), world.cohort, text)
    assert response.status_code == 400
    errors = {(row["row"], row["field"]) for row in response.data["rows"]}
    # Rows are checked on their own first; the mentor lookup only runs for a clean file.
    assert errors == {(3, "email"), (4, "email"), (5, "first_name")}
    assert snapshot() == before
    assert not Notification.objects.filter(kind=Notification.Kind.INVITATION).exists()
    assert deliver_the_outbox() == []
    assert mail.outbox == []


def test_roster_unknown_mentor_rolls_everything_back(world, django_capture_on_commit_callbacks):
    text = (
        "email,first_name,last_name,mentor_email\n"
        "one@example.com,One,Learner,\n"
        "two@example.com,Two,Learner,nobody@example.com\n"
    )
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client_for(world.staff), world.cohort, text)
    assert response.status_code == 400
    assert response.data["rows"] == [
        {"row": 3, "field": "mentor_email", "message": "No mentor has this email."}
    ]
    assert snapshot() == before
    assert not Notification.objects.filter(kind=Notification.Kind.INVITATION).exists()
    assert deliver_the_outbox() == []
    assert mail.outbox == []


def test_roster_mentor_at_capacity_is_a_row_error(world):
    world.mentor.capacity = 1
    world.mentor.save()
    text = f"email,first_name,last_name,mentor_email\nz@example.com,Z,Z,{world.mentor_user.email}\n"
    response = upload(client_for(world.staff), world.cohort, text)
    assert response.status_code == 400
    assert response.data["rows"][0]["row"] == 2
    assert response.data["rows"][0]["field"] == "mentor_email"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"name,surname\nA,B\n", "header"),
        (b"\xff\xfe\x00bad", "UTF-8"),
        (b"email,first_name,last_name\n", "no learners"),
    ],
)
def test_roster_rejects_bad_files(world, content, message):
    response = upload(client_for(world.staff), world.cohort, content)
    assert response.status_code == 400
    assert message in response.data["file"][0]


def test_roster_without_a_file_is_a_400(world):
    response = client_for(world.staff).post(
        f"/api/v1/cohorts/{world.cohort.pk}/roster/", {}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.data


@override_settings(STRIDE_MAX_UPLOAD_BYTES=100)
def test_roster_over_the_size_limit_is_a_413(world):
    text = "email,first_name,last_name\n" + "".join(
        f"learner{i}@example.com,L,{i}\n" for i in range(20)
    )
    before = snapshot()
    response = upload(client_for(world.staff), world.cohort, text)
    assert response.status_code == 413
    assert snapshot() == before


def test_reuploading_a_roster_changes_nothing(world):
    client = client_for(world.staff)
    text = "email,first_name,last_name\nrepeat@example.com,Re,Peat\n"
    assert upload(client, world.cohort, text).status_code == 201
    again = upload(client, world.cohort, text)
    assert again.status_code == 201
    assert again.data["created"] == 0 and again.data["enrolled"] == 0
    assert Enrollment.objects.filter(learner__email="repeat@example.com").count() == 1


def test_roster_enrolls_an_existing_learner_of_another_cohort(world):
    elsewhere = EnrollmentFactory(learner=LearnerFactory(email="moved@example.com"))
    text = "email,first_name,last_name\nMOVED@example.com,Mo,Ved\n"
    response = upload(client_for(world.staff), world.cohort, text)
    assert response.status_code == 201
    assert response.data == {"created": 0, "enrolled": 1, "paired": 0, "skipped": []}
    assert Enrollment.objects.filter(learner=elsewhere.learner).count() == 2


@override_settings(STRIDE_MAX_UPLOAD_BYTES=100)
def test_an_announced_oversized_body_is_refused_before_it_is_read(world):
    text = "email,first_name,last_name\n" + "x" * (70 * 1024)
    before = snapshot()
    response = upload(client_for(world.staff), world.cohort, text)
    assert response.status_code == 413
    assert "larger than 100 bytes" in response.data["detail"]
    assert snapshot() == before


def test_a_full_roster_answers_without_sending_and_each_invitation_goes_out_once(
    world, django_capture_on_commit_callbacks
):
    size = 5000
    text = "email,first_name,last_name\n" + "".join(
        f"bulk{i}@example.com,Bulk,Learner{i}\n" for i in range(size)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client_for(world.staff), world.cohort, text)
    assert response.status_code == 201, response.data
    assert response.data["created"] == size
    assert mail.outbox == []
    assert deliver_the_outbox() == ["sent"] * size
    assert deliver_the_outbox() == []
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        f"bulk{i}@example.com" for i in range(size)
    )
