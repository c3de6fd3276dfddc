"""The staff home (``/`` for staff): every running cohort as a row with the numbers a program
manager opens Stride for, each a link to the list behind it, sortable, and the same number of
queries for 2 cohorts as for 40."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentors.models import MentorSession
from tests.curriculum.factories import CohortFactory
from tests.learners.factories import EnrollmentFactory, HelpRequestFactory, SubmissionFactory
from tests.mentors.factories import MentorSessionFactory, PairingFactory
from tests.world import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def world_history() -> bool:
    return True  # Lena's waiting submission and open help request are on the home


def row_of(body: str, cohort) -> str:
    match = re.search(rf'<tr data-cohort="{cohort.pk}">(.*?)</tr>', body, re.S)
    assert match, f"no row for {cohort.name}"
    return match.group(1)


def count_in(row: str, kind: str) -> str:
    match = re.search(rf'href="([^"]+)" data-count="{kind}">([^<]+)</a>', row)
    assert match, kind
    return match.group(1), match.group(2).strip()


def test_each_running_cohort_with_its_numbers_and_links(client, world):
    # A session Lena missed on Monday (this week in Madrid) and one the Sunday before (last week).
    pairing = world.enrollment.pairings.get()
    for when in (NOW - dt.timedelta(days=1), NOW - dt.timedelta(days=2)):
        MentorSessionFactory(pairing=pairing, scheduled_at=when, status=MentorSession.Status.MISSED)
    ended = CohortFactory(
        program=world.program, name="Long ago", start_date=NOW.date() - dt.timedelta(weeks=60)
    )
    client.force_login(world.staff)
    body = client.get("/").content.decode()
    assert "Long ago" not in body  # ended cohorts are not on the morning view
    spring = row_of(body, world.cohort)
    assert "5 of 26" in spring  # four weeks under way: week 5
    href, value = count_in(spring, "reviews")
    assert (href, value) == (f"/staff/cohorts/{world.cohort.pk}/#reviews-waiting", "1")
    assert count_in(spring, "help")[1] == "1"
    assert count_in(spring, "missed")[1] == "1"
    assert count_in(spring, "oldest_wait")[1] == "1\xa0hour"
    evening = row_of(body, world.other_cohort)
    assert count_in(evening, "reviews")[1] == "0"
    assert "2 of 12" in evening
    # Every link lands on a list that exists on the cohort page.
    page = client.get(f"/staff/cohorts/{world.cohort.pk}/").content.decode()
    for anchor in re.findall(r'href="/staff/cohorts/\d+/#([\w-]+)"', spring):
        assert f'id="{anchor}"' in page, anchor
    waiting = page[page.index('id="reviews-waiting"') : page.index('id="missed-sessions"')]
    assert "NumPy drills" in waiting
    missed = page[page.index('id="missed-sessions"') : page.index('id="load-title"')]
    assert missed.count("<li>") == 1
    assert ended.pk  # used


def test_rows_sort_by_any_column(client, world):
    client.force_login(world.staff)
    names = lambda body: re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', body)  # noqa: E731
    assert names(client.get("/?sort=name").content.decode()) == ["Evening", "Spring"]
    body = client.get("/?sort=-name").content.decode()
    assert names(body) == ["Spring", "Evening"]
    assert 'aria-sort="descending"><a href="?sort=name">Cohort' in body
    assert names(client.get("/?sort=-reviews").content.decode())[0] == "Spring"
    assert names(client.get("/?sort=reviews").content.decode())[0] == "Evening"
    # An unknown order is the default (most at risk first), never an error.
    assert client.get("/?sort=drop table").status_code == 200


def add_cohorts(world, count: int) -> None:
    for _ in range(count):
        cohort = CohortFactory(program=world.program)
        enrollment = EnrollmentFactory(cohort=cohort)
        pairing = PairingFactory(enrollment=enrollment, mentor=world.spare_mentor)
        SubmissionFactory(enrollment=enrollment, assignment=world.exercise)
        HelpRequestFactory(enrollment=enrollment)
        MentorSessionFactory(
            pairing=pairing,
            scheduled_at=NOW - dt.timedelta(hours=3),
            status=MentorSession.Status.MISSED,
        )


def test_query_count_is_the_same_for_2_and_40_cohorts(client, world):
    client.force_login(world.staff)

    def measure() -> tuple[int, str]:
        client.get("/")  # computes and stores the progress rows, warms the session
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/")
        assert response.status_code == 200
        return len(queries), "\n".join(q["sql"] for q in queries.captured_queries)

    small, _ = measure()
    assert client.get("/").content.decode().count("<tr data-cohort=") == 2
    add_cohorts(world, 38)
    large, sql = measure()
    assert client.get("/").content.decode().count("<tr data-cohort=") == 40
    assert small == large, sql


def test_a_pace_count_opens_the_learners_of_that_pace(client, world):
    client.force_login(world.staff)
    body = client.get("/").content.decode()
    spring = row_of(body, world.cohort)
    links = {
        pace: (href, int(count))
        for href, pace, count in re.findall(
            r'<a class="pace-\w+" href="([^"]+)" data-pace="(\w+)">(\d+)', spring
        )
    }
    assert sum(count for _, count in links.values()) == 2  # Lena and Otto
    for pace, (href, count) in links.items():
        page = client.get(href.replace("&amp;", "&")).content.decode()
        listed = page[page.index('id="learners"') :]
        listed = listed[: listed.index("</table>")]
        assert listed.count('<th scope="row">') == count, pace
    everyone = client.get(f"/staff/cohorts/{world.cohort.pk}/?pace=sideways").content.decode()
    listed = everyone[everyone.index('id="learners"') :]
    assert listed[: listed.index("</table>")].count('<th scope="row">') == 2


def test_the_cohort_page_lists_the_oldest_waiting_reviews_and_links_to_all(client, world):
    # Lena's "NumPy drills" (an hour old) and 21 newer submissions by classmates.
    newer = [
        SubmissionFactory(
            enrollment=EnrollmentFactory(cohort=world.cohort), assignment=world.exercise
        )
        for _ in range(21)
    ]
    client.force_login(world.staff)
    cohort_url = f"/staff/cohorts/{world.cohort.pk}/"

    def waiting(path: str) -> str:
        page = client.get(path).content.decode()
        return page[page.index('id="reviews-waiting"') : page.index('id="missed-sessions"')]

    first = waiting(cohort_url + "?pace=behind")
    assert "(22)</span>" in first
    assert first.count("<li>") == 20
    assert "NumPy drills" in first  # the oldest first
    link = re.search(r'<a href="([^"]+)">Show all 22 waiting reviews</a>', first)
    assert link, first
    assert link.group(1) == "?pace=behind&amp;reviews=all#reviews-waiting"
    every = waiting(cohort_url + "?pace=behind&reviews=all")
    assert every.count("<li>") == 22
    assert "Show all" not in every
    # At the limit or below, the list is whole and has no link.
    for submission in newer[-2:]:
        submission.status = submission.Status.APPROVED
        submission.save()
    whole = waiting(cohort_url)
    assert "(20)</span>" in whole and whole.count("<li>") == 20 and "Show all" not in whole


def test_the_cohort_page_lists_the_oldest_open_help_requests_and_links_to_all(client, world):
    # Lena's open request (from her history) and 20 newer ones by classmates.
    for _ in range(20):
        HelpRequestFactory(enrollment=EnrollmentFactory(cohort=world.cohort), message="Stuck.")
    client.force_login(world.staff)
    cohort_url = f"/staff/cohorts/{world.cohort.pk}/"

    def help_section(path: str) -> str:
        page = client.get(path).content.decode()
        start = page.index('id="cohort-help-title"')
        return page[start : page.index("</section>", start)]

    first = help_section(cohort_url)
    assert "(21)</span>" in first
    assert first.count('name="answer"') == 20
    link = re.search(r'<a href="([^"]+)">Show all 21 open help requests</a>', first)
    assert link and link.group(1) == "?help=all#cohort-help-title"
    every = help_section(cohort_url + "?help=all")
    assert every.count('name="answer"') == 21 and "Show all" not in every


def test_the_cohort_page_lists_the_most_urgent_at_risk_and_links_to_all(client, world):
    client.force_login(world.staff)
    cohort_url = f"/staff/cohorts/{world.cohort.pk}/"

    def at_risk(path: str) -> tuple[int, str]:
        page = client.get(path).content.decode()
        section = page[page.index('id="risk-title"') : page.index('id="reviews-waiting"')]
        count = int(re.search(r"\((\d+)\)</span></h2>", section).group(1))
        return count, section

    before, _ = at_risk(cohort_url)
    # Classmates enrolled at the start who have logged nothing by week 5: behind.
    for _ in range(21 - before):
        EnrollmentFactory(cohort=world.cohort, enrolled_at=NOW - dt.timedelta(weeks=4))
    count, first = at_risk(cohort_url)
    assert count == 21
    assert first.count('<tr><th scope="row">') == 20
    link = re.search(r'<a href="([^"]+)">Show all 21 learners at risk</a>', first)
    assert link and link.group(1) == "?risk=all#risk-title"
    count, every = at_risk(cohort_url + "?risk=all")
    assert count == 21 and "Show all" not in every
    assert every.count('<tr><th scope="row">') == 21
