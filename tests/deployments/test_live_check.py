"""The live-model check against a real model server: every verdict recorded as it should be."""

from __future__ import annotations

import pytest

from learners.models import DeploymentCheck
from learners.selectors import latest_check, latest_passing_check
from tracker import deployments, tasks
from tracker.deployments.services import prediction_examples_set

pytestmark = pytest.mark.django_db


def by_name(check: DeploymentCheck) -> dict[str, dict]:
    return {example["name"]: example for example in check.examples}


def test_a_correct_model_passes_every_example(capstone, model_server, allow_private):
    check = deployments.deployment_check_run(submission_id=capstone.pk)
    assert check.ok is True
    assert check.status_code == 200 and check.error == ""
    assert check.latency_ms is not None and check.latency_ms < 400
    examples = by_name(DeploymentCheck.objects.get(pk=check.pk))
    assert list(examples) == ["clear positive", "clear negative", "near the boundary"]
    for example in examples.values():
        assert example["ok"] is True, example
        assert example["status_code"] == 200
        assert example["schema_errors"] == []
        assert example["value_ok"] is True
        assert example["error"] == ""
        assert 0 <= example["latency_ms"] < 400
    # What was sent is what the contract says, to deployment URL + path, as JSON.
    assert [request[:2] for request in model_server.requests] == [("POST", "/api/predict")] * 3
    assert model_server.requests[0][2] == b'{"features": [3.0, 0.0]}'
    assert examples["clear positive"]["request"] == {"features": [3.0, 0.0]}
    assert '"label": 1' in examples["clear positive"]["response"]
    assert latest_passing_check(capstone.enrollment) == check


def test_a_wrong_schema_is_recorded_as_json_pointers(capstone, model_server, allow_private):
    model_server.mode = "wrong_schema"
    check = deployments.deployment_check_run(submission_id=capstone.pk)
    assert check.ok is False
    examples = by_name(check)
    positive = examples["clear positive"]
    assert positive["ok"] is False and positive["status_code"] == 200
    # "" is the answer's root (the missing "probability"); "/label" the wrong type and value.
    assert positive["schema_errors"] == ["", "/label"]
    assert "'probability' is a required property" in positive["error"]
    assert positive["value_ok"] is False  # "yes" is not 1
    assert examples["clear negative"]["value_ok"] is False
    assert "no value at /probability" in examples["clear negative"]["error"]
    assert "3 of 3 examples failed" in check.error
    assert latest_passing_check(capstone.enrollment) is None
    assert latest_check(capstone.enrollment) == check


def test_a_wrong_value_passes_the_schema_and_fails_the_rule(capstone, model_server, allow_private):
    model_server.mode = "wrong_value"
    check = deployments.deployment_check_run(submission_id=capstone.pk)
    examples = by_name(check)
    assert check.ok is False
    assert all(example["schema_errors"] == [] for example in examples.values())
    assert (examples["clear positive"]["value_ok"], examples["clear positive"]["ok"]) == (
        False,
        False,
    )
    assert "/label is 0, expected 1" in examples["clear positive"]["error"]
    assert examples["clear negative"]["value_ok"] is False
    assert "expected between 0.0 and 0.1" in examples["clear negative"]["error"]
    # one_of [0, 1] still holds for the inverted label.
    assert examples["near the boundary"]["ok"] is True
    assert "2 of 3 examples failed" in check.error


def test_an_answer_over_the_latency_budget_fails_on_latency_alone(
    capstone, model_server, allow_private
):
    model_server.mode = "slow"
    model_server.delay = 0.6  # the contract's budget is 400 ms
    check = deployments.deployment_check_run(submission_id=capstone.pk)
    assert check.ok is False
    for example in check.examples:
        assert example["status_code"] == 200
        assert example["schema_errors"] == [] and example["value_ok"] is True
        assert example["latency_ms"] >= 600
        assert example["ok"] is False
        assert "over the 400 ms budget" in example["error"]
    assert check.latency_ms >= 600


def test_a_model_slower_than_the_timeout_times_out(capstone, model_server, settings):
    settings.STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE = True
    settings.STRIDE_DEPLOY_CHECK_TIMEOUT = 0.3
    model_server.mode = "slow"
    model_server.delay = 1.0
    check = deployments.deployment_check_run(submission_id=capstone.pk)
    assert check.ok is False and check.status_code is None
    for example in check.examples:
        assert example["status_code"] is None and example["latency_ms"] is None
        assert example["error"] == "Timed out after 0.3 s."
        assert example["value_ok"] is None


def test_a_model_that_is_down_is_recorded_as_failed(capstone, model_server, allow_private):
    model_server.stop()
    check = deployments.deployment_check_run(submission_id=capstone.pk)
    assert check.ok is False and check.status_code is None and check.latency_ms is None
    for example in check.examples:
        assert example["ok"] is False and example["status_code"] is None
        assert "ConnectionRefusedError" in example["error"]
    assert "3 of 3 examples failed" in check.error


def test_an_answer_that_is_not_json_is_a_schema_error_at_the_root(
    capstone, model_server, allow_private
):
    model_server.mode = "not_json"
    check = deployments.deployment_check_run(submission_id=capstone.pk)
    example = check.examples[0]
    assert example["schema_errors"] == [""] and "not JSON" in example["error"]
    assert example["response"].startswith("<html>")
    assert check.ok is False


def test_private_addresses_are_still_refused_when_the_setting_is_off(
    capstone, model_server, settings
):
    settings.STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE = False
    check = deployments.deployment_check_run(submission_id=capstone.pk)
    assert check.ok is False
    for example in check.examples:
        assert example["error"].startswith("Refused:") and "loopback" in example["error"]
    assert model_server.requests == []  # nothing reached the model


def test_the_mentors_extra_examples_are_sent_after_the_contracts(
    world, capstone, model_server, allow_private
):
    prediction_examples_set(
        actor=world.mentor_user,
        enrollment=world.enrollment,
        examples=[
            {
                "name": "Max's edge case",
                "request": {"features": [-3.0, 0.0]},
                "expect": {"pointer": "/label", "equals": 1},  # the model says 0
            }
        ],
    )
    check = deployments.deployment_check_run(submission_id=capstone.pk)
    assert [example["name"] for example in check.examples][-1] == "Max's edge case"
    assert by_name(check)["Max's edge case"]["value_ok"] is False
    assert check.ok is False and "1 of 4 examples failed" in check.error


def test_without_a_contract_the_check_requests_the_url_as_before(
    world, model_server, allow_private
):
    from tests.learners.factories import SubmissionFactory

    submission = SubmissionFactory(
        enrollment=world.enrollment, assignment=world.final, deployment_url=model_server.base
    )
    check = deployments.deployment_check_run(submission_id=submission.pk)
    # A GET of /api: the model server answers 501 to GET.
    assert check.examples == [] and check.status_code == 501 and check.ok is False


def test_the_check_task_records_and_reports(capstone, allow_private):
    result = tasks.check_deployment.apply(args=[capstone.pk]).get()
    assert result == {"ok": True, "status_code": 200, "error": "", "examples": 3}
    assert DeploymentCheck.objects.filter(submission=capstone).count() == 1


def test_a_schema_that_cannot_be_applied_is_a_recorded_failure_not_a_crash(
    world, capstone, model_server, allow_private
):
    from curriculum.models import Assignment

    broken = {**world.final.prediction_contract, "response_schema": {"$ref": "#/$defs/none"}}
    Assignment.objects.filter(pk=world.final.pk).update(prediction_contract=broken)
    check = deployments.deployment_check_run(submission_id=capstone.pk)
    assert check.ok is False
    assert "cannot be applied" in check.examples[0]["error"]
    assert check.examples[0]["schema_errors"] == [""]


def test_a_redirect_is_followed_with_the_same_method_and_body_but_never_inward(
    world, capstone, model_server, allow_private
):
    from curriculum.models import Assignment

    moved = {**world.final.prediction_contract, "path": "/moved"}
    Assignment.objects.filter(pk=world.final.pk).update(prediction_contract=moved)
    model_server.redirects = {"/api/moved": "/api/predict"}
    check = deployments.deployment_check_run(submission_id=capstone.pk)
    assert check.ok is True, check.error
    assert model_server.requests[:2] == [
        ("POST", "/api/moved", b'{"features": [3.0, 0.0]}'),
        ("POST", "/api/predict", b'{"features": [3.0, 0.0]}'),
    ]
    model_server.requests.clear()
    model_server.redirects = {"/api/moved": "http://169.254.169.254/latest/meta-data/"}
    check = deployments.deployment_check_run(submission_id=capstone.pk)
    assert check.ok is False
    assert all("metadata" in example["error"] for example in check.examples)
    assert [path for _method, path, _body in model_server.requests] == ["/api/moved"] * 3
