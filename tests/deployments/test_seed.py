"""The demo shows capstones whose live-model check passes and fails, without the network."""

from __future__ import annotations

import pytest

from curriculum.models import Assignment
from learners.models import DeploymentCheck
from tracker.deployments import cohort_capstones
from tracker.seed import seed_demo
from tracker.seed.builder import PAST_COHORT_NAME

pytestmark = pytest.mark.django_db


def test_seed_demo_stores_passing_and_failing_checks_once(clock, django_user_model):
    result = seed_demo(learners=2)
    final = Assignment.objects.get(pk=Assignment.final_milestone_id(result.program.pk))
    assert final.prediction_contract["path"] == "/predict"
    with_examples = DeploymentCheck.objects.exclude(examples=[])
    assert with_examples.count() > 0
    staff = django_user_model.objects.get(username=result.staff_username)
    past = result.program.cohorts.get(name=PAST_COHORT_NAME)
    states = {row["state"] for row in cohort_capstones(fetched_by=staff, cohort=past)["rows"]}
    assert {"live", "failing"} <= states
    before = DeploymentCheck.objects.count()
    seed_demo(learners=2)
    assert DeploymentCheck.objects.count() == before
