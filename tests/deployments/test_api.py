"""The API of the live-model check: the contract (staff), check now (202, rate-limited), the
mentor's examples, and ``deployment_checks`` with their examples."""

from __future__ import annotations

import copy

import pytest

from curriculum.models import Assignment
from learners.models import DeploymentCheck, Enrollment
from tests.api.conftest import client_for
from tests.deployments.model_server import CONTRACT
from tests.tracker.test_reminders_fixtures import broker_fixture  # noqa: F401
from tracker import deployments, jobs

pytestmark = pytest.mark.django_db


def contract(**changes):
    value = copy.deepcopy(CONTRACT)
    value.update(changes)
    return value


def patch_contract(world, assignment, value):
    return client_for(world.staff).patch(
        f"/api/v1/assignments/{assignment.pk}/", {"prediction_contract": value}, format="json"
    )


def test_staff_set_the_contract_and_everyone_reads_it(world):
    response = patch_contract(world, world.final, contract())
    assert response.status_code == 200, response.data
    assert response.data["prediction_contract"]["path"] == "/predict"
    shown = client_for(world.learner).get(f"/api/v1/assignments/{world.final.pk}/")
    assert shown.data["prediction_contract"] == contract()
    cleared = patch_contract(world, world.final, None)
    assert cleared.status_code == 200 and cleared.data["prediction_contract"] is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("not an object", "must be a JSON object"),
        (contract(method="DELETE"), "/method"),
        (contract(path="https://evil.example/x"), "/path"),
        (contract(latency_budget_ms=0), "/latency_budget_ms"),
        (contract(examples=[]), "at least one example"),
        (contract(response_schema={"type": "nonsense"}), "/response_schema/type"),
        (contract(response_schema={"minimum": "ten"}), "/response_schema/minimum"),
        (contract(response_schema={"pattern": "(["}), "/response_schema/pattern"),
        (
            contract(examples=[{"name": "a", "request": {}, "expect": {"pointer": "label"}}]),
            "/examples/0/expect/pointer",
        ),
        (
            contract(
                examples=[
                    {"name": "a", "request": {}, "expect": {"pointer": "/p", "within": [2, 1]}}
                ]
            ),
            "low bound is above the high bound",
        ),
        (
            contract(
                examples=[
                    {
                        "name": "a",
                        "request": {},
                        "expect": {"pointer": "/p", "equals": 1, "one_of": [1]},
                    }
                ]
            ),
            "exactly one of",
        ),
        (
            contract(examples=[{"name": "a", "request": 1}, {"name": "a", "request": 2}]),
            "already an example's name",
        ),
        ({"method": "POST"}, "Missing keys: examples, path, response_schema"),
    ],
)
def test_a_bad_contract_is_a_400_on_the_field_and_nothing_is_written(world, value, words):
    response = patch_contract(world, world.final, value)
    assert response.status_code == 400
    messages = " ".join(response.data["prediction_contract"])
    assert words in messages, messages
    assert Assignment.objects.get(pk=world.final.pk).prediction_contract is None


def test_only_the_final_milestone_takes_a_contract(world):
    response = patch_contract(world, world.project, contract())
    assert response.status_code == 400
    assert "final capstone milestone" in " ".join(response.data["prediction_contract"])


def test_only_the_contract_changes_through_patch(world):
    response = client_for(world.staff).patch(
        f"/api/v1/assignments/{world.final.pk}/", {"title": "Renamed"}, format="json"
    )
    assert response.status_code == 400 and "prediction_contract" in response.data
    assert Assignment.objects.get(pk=world.final.pk).title == world.final.title


@pytest.fixture
def deployed(world):
    from tests.learners.factories import SubmissionFactory

    return SubmissionFactory(
        enrollment=world.enrollment,
        assignment=world.final,
        deployment_url="https://lena-capstone.example.com/api",
    )


@pytest.mark.parametrize("role", ["learner", "mentor", "staff"])
def test_check_now_is_accepted_and_queued(world, deployed, broker, role):
    response = client_for(world.user(role)).post(f"/api/v1/submissions/{deployed.pk}/check/")
    assert response.status_code == 202
    assert response.data == {"submission": deployed.pk, "queued": True}
    assert broker.of(jobs.CHECK_DEPLOYMENT) == [[deployed.pk]]


@pytest.mark.parametrize("role", ["other_learner", "other_mentor"])
def test_check_now_out_of_scope_is_404(world, deployed, broker, role):
    response = client_for(world.user(role)).post(f"/api/v1/submissions/{deployed.pk}/check/")
    assert response.status_code == 404
    assert broker.sent == []


def test_check_now_is_rate_limited_per_caller(world, deployed, broker, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "deployment_check": "2/hour",
        },
    }
    learner = client_for(world.learner)
    statuses = [
        learner.post(f"/api/v1/submissions/{deployed.pk}/check/").status_code for _ in range(3)
    ]
    assert statuses == [202, 202, 429]
    assert len(broker.of(jobs.CHECK_DEPLOYMENT)) == 2
    # Another caller has their own budget.
    mentor = client_for(world.mentor_user)
    assert mentor.post(f"/api/v1/submissions/{deployed.pk}/check/").status_code == 202


def test_check_now_with_the_broker_away_answers_202_not_queued(world, deployed, broker):
    broker.down()
    response = client_for(world.learner).post(f"/api/v1/submissions/{deployed.pk}/check/")
    assert response.status_code == 202 and response.data["queued"] is False


def test_deployment_checks_show_their_examples(world, deployed):
    DeploymentCheck.objects.create(
        submission=deployed,
        checked_at=deployed.submitted_at,
        status_code=200,
        ok=False,
        latency_ms=120,
        error="1 of 1 examples failed",
        examples=[
            {
                "name": "clear positive",
                "ok": False,
                "status_code": 200,
                "latency_ms": 120,
                "schema_errors": ["/label"],
                "value_ok": False,
                "error": "Schema: /label 'yes' is not of type 'integer'",
                "request": {"features": [3.0, 0.0]},
                "response": '{"label": "yes"}',
            }
        ],
    )
    response = client_for(world.mentor_user).get(f"/api/v1/submissions/{deployed.pk}/")
    (check,) = response.data["deployment_checks"]
    assert set(check) >= {"checked_at", "status_code", "ok", "latency_ms", "error", "examples"}
    (example,) = check["examples"]
    assert {key: example[key] for key in ("name", "ok", "schema_errors", "value_ok")} == {
        "name": "clear positive",
        "ok": False,
        "schema_errors": ["/label"],
        "value_ok": False,
    }


def test_the_mentor_adds_examples_and_bad_ones_are_400(world):
    client_for(world.staff).patch(
        f"/api/v1/assignments/{world.final.pk}/", {"prediction_contract": contract()}, format="json"
    )
    url = f"/api/v1/enrollments/{world.enrollment.pk}/prediction-examples/"
    mentor = client_for(world.mentor_user)
    good = [{"name": "edge", "request": {"features": [0, 0]}, "expect": None}]
    assert mentor.put(url, {"examples": good}, format="json").status_code == 200
    assert client_for(world.learner).get(url).data == {
        "enrollment": world.enrollment.pk,
        "examples": good,
    }
    clash = [{"name": "clear positive", "request": {}, "expect": None}]
    response = mentor.put(url, {"examples": clash}, format="json")
    assert response.status_code == 400
    assert "already an example's name" in " ".join(response.data["examples"])
    bad = [{"name": "x", "request": {}, "expect": {"pointer": "/a", "within": "wide"}}]
    assert mentor.put(url, {"examples": bad}, format="json").status_code == 400
    assert Enrollment.objects.get(pk=world.enrollment.pk).prediction_examples == good
    assert client_for(world.learner).put(url, {"examples": []}, format="json").status_code == 403


def test_passing_means_every_example_passed(world, deployed):
    DeploymentCheck.objects.create(
        submission=deployed, checked_at=deployed.submitted_at, ok=True, status_code=200
    )
    later = DeploymentCheck.objects.create(
        submission=deployed, checked_at=deployed.submitted_at.replace(hour=23), ok=False
    )
    assert deployments.latest_check(world.enrollment) == later
    passing = deployments.latest_passing_check(world.enrollment)
    assert passing is not None and passing.ok and passing.checked_at < later.checked_at
    assert deployments.latest_passing_check(world.other_enrollment) is None


def test_export_carries_and_erasure_removes_the_examples(world, deployed):
    from tracker.security.learner_data import learner_erase, learner_export

    extra = [{"name": "edge", "request": {"features": [0, 0]}, "expect": None}]
    Enrollment.objects.filter(pk=world.enrollment.pk).update(prediction_examples=extra)
    result = [{"name": "edge", "ok": True, "response": '{"label": 1}'}]
    DeploymentCheck.objects.create(
        submission=deployed, checked_at=deployed.submitted_at, ok=True, examples=result
    )
    exported = learner_export(actor=world.staff, user=world.learner)
    (lena,) = [e for e in exported["enrollments"] if e["id"] == world.enrollment.pk]
    assert lena["prediction_examples"] == extra
    assert any(
        check["examples"] == result
        for submission in exported["submissions"]
        for check in submission["deployment_checks"]
    )
    learner_erase(actor=world.staff, user=world.learner)
    assert Enrollment.objects.get(pk=world.enrollment.pk).prediction_examples == []
    assert not DeploymentCheck.objects.filter(submission=deployed).exclude(examples=[]).exists()
    history = Enrollment.history.model.objects.filter(id=world.enrollment.pk)
    assert all(row.prediction_examples == [] for row in history)
