"""The demo shows the staff home's numbers: a session missed this week, once."""

import re

import pytest
from django.contrib.auth import get_user_model

from mentors.models import MentorSession
from tracker.seed import seed_demo

pytestmark = pytest.mark.django_db


def test_demo_staff_home_has_a_missed_session_this_week(client, clock):
    result = seed_demo(learners=6, password="stride-demo")
    missed = MentorSession.objects.filter(status=MentorSession.Status.MISSED).count()
    seed_demo(learners=6, password="stride-demo")  # a top-up adds no second one
    assert MentorSession.objects.filter(status=MentorSession.Status.MISSED).count() == missed
    client.force_login(get_user_model().objects.get(username=result.staff_username))
    body = client.get("/").content.decode()
    row = re.search(rf'<tr data-cohort="{result.cohort.pk}">(.*?)</tr>', body, re.S).group(1)
    count = re.search(r'data-count="missed">(\d+)</a>', row).group(1)
    assert int(count) >= 1
