"""Fixtures of the live-model check: a real model server, the contract on the world's final
milestone, Lena's deployed capstone."""

from __future__ import annotations

import copy

import pytest

from curriculum.services import prediction_contract_set
from tests.deployments.model_server import CONTRACT, ModelServer
from tests.learners.factories import SubmissionFactory


@pytest.fixture
def model_server():
    server = ModelServer().start()
    yield server
    server.stop()


@pytest.fixture
def allow_private(settings):
    """Tests only: the model server listens on 127.0.0.1."""
    settings.STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE = True
    settings.STRIDE_DEPLOY_CHECK_TIMEOUT = 2.0


@pytest.fixture
def contract(world):
    prediction_contract_set(
        actor=world.staff, assignment=world.final, prediction_contract=copy.deepcopy(CONTRACT)
    )
    world.final.refresh_from_db()
    return world.final.prediction_contract


@pytest.fixture
def capstone(world, contract, model_server):
    """Lena's final milestone, submitted with the model server as its deployment."""
    return SubmissionFactory(
        enrollment=world.enrollment,
        assignment=world.final,
        url="https://github.com/lena/fraud-capstone",
        deployment_url=model_server.base,
    )
