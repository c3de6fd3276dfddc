"""A learner changes or deletes their own progress logs within the edit window, from the
dashboard: htmx swaps the log panel and refreshes the summary out of band; without JavaScript
the same forms post and redirect."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from learners.models import ProgressLog
from tests.learners.factories import ProgressLogFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def log(world, today):
    return ProgressLogFactory(
        enrollment=world.enrollment, module=world.module, logged_on=today, minutes=40, note="Loops"
    )


def age(log, hours: float) -> None:
    """Pretend the log was written ``hours`` ago."""
    ProgressLog.objects.filter(pk=log.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=hours)
    )


def edit_data(world, today, **overrides) -> dict:
    data = {
        "edit-module": world.module.pk,
        "edit-logged_on": today.isoformat(),
        "edit-minutes": 75,
        "edit-note": "Loops and broadcasting",
    }
    data.update(overrides)
    return data


def test_dashboard_offers_edit_and_delete_with_the_window(learner_client, world, log):
    body = learner_client.get(reverse("learner_home")).content.decode()
    assert reverse("learner_log_edit", args=[log.pk]) in body
    assert reverse("learner_log_delete", args=[log.pk]) in body
    assert "for 24 hours after adding it" in body
    assert "editable until" in body


def test_log_outside_the_window_offers_no_edit(learner_client, world, log):
    age(log, 25)
    body = learner_client.get(reverse("learner_home")).content.decode()
    assert "40 min" in body
    assert reverse("learner_log_edit", args=[log.pk]) not in body
    assert reverse("learner_log_delete", args=[log.pk]) not in body


def test_edit_form_opens_prefilled_without_js(learner_client, world, log):
    response = learner_client.get(reverse("learner_log_edit", args=[log.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>My progress" in body  # the whole dashboard, the form open in the log's row
    assert 'id="log-edit"' in body
    assert 'name="edit-minutes" value="40"' in body
    assert "Loops</textarea>" in body


def test_edit_form_opens_in_the_panel_with_htmx(learner_client, world, log):
    response = learner_client.get(reverse("learner_log_edit", args=[log.pk]), headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="log-progress">')
    assert 'id="log-edit"' in body and "<title>" not in body


def test_edit_full_post_saves_and_redirects(learner_client, world, log, today):
    response = learner_client.post(
        reverse("learner_log_edit", args=[log.pk]), edit_data(world, today)
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#log-progress")
    log.refresh_from_db()
    assert log.minutes == 75 and log.note == "Loops and broadcasting"
    body = learner_client.get(response["Location"]).content.decode()
    assert "Log changed: 75 minutes on Python for ML." in body


def test_edit_by_htmx_updates_panel_summary_and_module_bars(learner_client, world, log, today):
    response = learner_client.post(
        reverse("learner_log_edit", args=[log.pk]), edit_data(world, today), headers=HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="log-progress">')
    assert "Log changed: 75 minutes" in body
    # Out-of-band: the last-7-days figure and the module table follow the change.
    assert '<div id="progress-summary" data-hx-swap-oob="true">' in body
    assert "75 min logged in the last 7 days" in body
    assert '<div id="module-progress" data-hx-swap-oob="true">' in body
    assert "75 min / " in body
    assert ProgressLog.objects.get(pk=log.pk).minutes == 75


def test_htmx_log_create_refreshes_the_summary_too(learner_client, world, log, today):
    response = learner_client.post(
        reverse("learner_log"),
        {"module": world.module.pk, "logged_on": today.isoformat(), "minutes": 20},
        headers=HTMX,
    )
    body = response.content.decode()
    assert "Logged 20 minutes on Python for ML." in body
    assert 'id="progress-summary" data-hx-swap-oob="true"' in body
    assert "60 min logged in the last 7 days" in body


def test_htmx_log_error_does_not_touch_the_summary(learner_client, world, today):
    response = learner_client.post(
        reverse("learner_log"),
        {"module": world.module.pk, "logged_on": today.isoformat(), "minutes": 0},
        headers=HTMX,
    )
    body = response.content.decode()
    assert 'id="id_minutes_error"' in body
    assert "data-hx-swap-oob" not in body


@pytest.mark.parametrize("htmx", [False, True])
def test_edit_errors_show_in_place_and_keep_typed_values(learner_client, world, log, today, htmx):
    response = learner_client.post(
        reverse("learner_log_edit", args=[log.pk]),
        edit_data(world, today, **{"edit-minutes": 0, "edit-note": "typed note"}),
        headers=HTMX if htmx else {},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_edit-minutes_error"' in body
    assert "typed note</textarea>" in body
    assert 'name="edit-minutes" value="0"' in body
    assert ("<title>" in body) is not htmx
    assert ProgressLog.objects.get(pk=log.pk).minutes == 40


def test_edit_into_the_future_is_refused_by_the_service(learner_client, world, log, today):
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    response = learner_client.post(
        reverse("learner_log_edit", args=[log.pk]),
        edit_data(world, today, **{"edit-logged_on": tomorrow}),
    )
    body = response.content.decode()
    assert 'id="id_edit-logged_on_error"' in body
    assert "cannot be in the future" in body
    assert f'value="{tomorrow}"' in body
    assert ProgressLog.objects.get(pk=log.pk).logged_on == today


@pytest.mark.parametrize("htmx", [False, True])
def test_edit_outside_the_window_shows_the_error_and_keeps_input(
    learner_client, world, log, today, htmx
):
    age(log, 25)
    response = learner_client.post(
        reverse("learner_log_edit", args=[log.pk]),
        edit_data(world, today, **{"edit-note": "too late"}),
        headers=HTMX if htmx else {},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "only within 24 hours" in body
    assert "too late</textarea>" in body
    assert ProgressLog.objects.get(pk=log.pk).minutes == 40


def test_opening_the_edit_form_outside_the_window_explains_why(learner_client, world, log):
    age(log, 25)
    response = learner_client.get(reverse("learner_log_edit", args=[log.pk]), headers=HTMX)
    body = response.content.decode()
    assert 'id="log-edit"' not in body
    assert "can no longer be changed" in body


def test_delete_full_post_removes_and_redirects(learner_client, world, log):
    response = learner_client.post(reverse("learner_log_delete", args=[log.pk]))
    assert response.status_code == 302
    assert not ProgressLog.objects.filter(pk=log.pk).exists()
    body = learner_client.get(response["Location"]).content.decode()
    assert "Log deleted: 40 minutes on Python for ML" in body


def test_delete_by_htmx_refreshes_panel_and_summary(learner_client, world, log):
    response = learner_client.post(reverse("learner_log_delete", args=[log.pk]), headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="log-progress">')
    assert "Log deleted" in body and "No time logged yet." in body
    assert "0 min logged in the last 7 days" in body
    assert not ProgressLog.objects.filter(pk=log.pk).exists()


@pytest.mark.parametrize("htmx", [False, True])
def test_delete_outside_the_window_is_refused_in_place(learner_client, world, log, htmx):
    age(log, 25)
    response = learner_client.post(
        reverse("learner_log_delete", args=[log.pk]), headers=HTMX if htmx else {}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "only within 24 hours" in body
    assert f'id="log-{log.pk}"' in body
    assert ProgressLog.objects.filter(pk=log.pk).exists()


def test_delete_needs_post(learner_client, log):
    assert learner_client.get(reverse("learner_log_delete", args=[log.pk])).status_code == 405


def test_other_learners_log_is_404(learner_client, world, today):
    theirs = ProgressLogFactory(enrollment=world.other_enrollment, module=world.module)
    assert learner_client.get(reverse("learner_log_edit", args=[theirs.pk])).status_code == 404
    edit = learner_client.post(
        reverse("learner_log_edit", args=[theirs.pk]), edit_data(world, today)
    )
    assert edit.status_code == 404
    delete = learner_client.post(reverse("learner_log_delete", args=[theirs.pk]))
    assert delete.status_code == 404
    theirs.refresh_from_db()
    assert theirs.minutes == 60


def test_mentor_cannot_edit_their_learners_log(client, world, log, today):
    client.force_login(world.mentor.user)
    response = client.post(reverse("learner_log_edit", args=[log.pk]), edit_data(world, today))
    assert response.status_code == 404
    assert client.post(reverse("learner_log_delete", args=[log.pk])).status_code == 404
    assert ProgressLog.objects.filter(pk=log.pk, minutes=40).exists()


def test_anonymous_is_sent_to_login(client, log):
    response = client.post(reverse("learner_log_delete", args=[log.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert ProgressLog.objects.filter(pk=log.pk).exists()


def test_an_older_editable_log_is_listed_even_past_the_newest_five(learner_client, world, today):
    old_day = today - dt.timedelta(days=20)
    backdated = ProgressLogFactory(
        enrollment=world.enrollment, module=world.module, logged_on=old_day, minutes=11
    )
    for _ in range(5):
        ProgressLogFactory(enrollment=world.enrollment, module=world.module, logged_on=today)
    body = learner_client.get(reverse("learner_home")).content.decode()
    assert reverse("learner_log_edit", args=[backdated.pk]) in body
