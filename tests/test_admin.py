"""The Django admin: every page renders, the enrollment actions and the service-backed forms
keep the rules (pauses, statuses, mentor capacity, one enrollment per learner)."""

import datetime as dt

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from curriculum.kernel import clock
from learners.models import DeploymentCheck, Enrollment, Pause
from mentors.models import Pairing
from tests.curriculum.factories import (
    CohortFactory,
    StaffFactory,
    UserFactory,
)
from tests.learners.factories import (
    EnrollmentFactory,
    LearnerFactory,
    PauseFactory,
)
from tests.mentors.factories import (
    MentorFactory,
    PairingFactory,
)
from tracker.models import UserPreferences

pytestmark = pytest.mark.django_db

OUR_APPS = {"curriculum", "learners", "mentors", "tracker"}


@pytest.fixture
def one_of_each(world):
    """A row of every domain model, taken from the world (Lena's side of it), plus the three
    kinds of row the world does not make: a pause, a deployment check and preferences."""
    cohort = world.cohort
    submission = world.reviewed_submission
    pause = PauseFactory(
        enrollment=world.enrollment,
        start=cohort.start_date + dt.timedelta(days=3),
        end=cohort.start_date + dt.timedelta(days=5),
    )
    check = DeploymentCheck.objects.create(
        submission=submission, checked_at=timezone.now(), status_code=200, ok=True, latency_ms=80
    )
    return {
        "program": world.program,
        "module": world.module,
        "assignment": world.exercise,
        "rubriccriterion": world.criterion,
        "cohort": cohort,
        "enrollment": world.enrollment,
        "pause": pause,
        "progresslog": world.log,
        "submission": submission,
        "deploymentcheck": check,
        "helprequest": world.help_request,
        "mentor": world.mentor,
        "pairing": world.pairing,
        "mentorsession": world.session,
        "review": world.review,
        "notification": world.notification,
        "userpreferences": UserPreferences.objects.create(user=world.learner),
    }


DOMAIN_MODELS = (
    "program",
    "module",
    "assignment",
    "rubriccriterion",
    "cohort",
    "enrollment",
    "pause",
    "progresslog",
    "submission",
    "deploymentcheck",
    "helprequest",
    "mentor",
    "pairing",
    "mentorsession",
    "review",
    "notification",
    "userpreferences",
)


def our_models():
    """The domain's models as the admin has them (the audit trail's history models aside)."""
    return sorted(
        (
            model
            for model in admin.site._registry
            if model._meta.app_label in OUR_APPS and model._meta.model_name in DOMAIN_MODELS
        ),
        key=lambda model: model._meta.label,
    )


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_of_the_domain_is_registered():
    names = {model._meta.model_name for model in our_models()}
    assert names == set(DOMAIN_MODELS)


def test_every_changelist_offers_columns_filters_and_search(admin_client, one_of_each):
    for model in our_models():
        body = admin_client.get(url(model, "changelist")).content.decode()
        assert 'id="searchbar"' in body, model
        assert 'id="changelist-filter"' in body, model
        columns = body.count('<th scope="col"') - body.count('class="action-checkbox-column"')
        assert columns >= 3, model


@pytest.mark.parametrize("model", our_models(), ids=lambda m: m._meta.label)
def test_changelist_search_and_change_form_render(admin_client, one_of_each, model):
    obj = one_of_each[model._meta.model_name]
    response = admin_client.get(url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == model._default_manager.count() >= 1

    response = admin_client.get(url(model, "changelist"), {"q": "zz-nothing-matches"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0

    response = admin_client.get(url(model, "change", obj.pk))
    assert response.status_code == 200

    model_admin = admin.site._registry[model]
    if model_admin.has_add_permission(response.wsgi_request):
        assert admin_client.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", our_models(), ids=lambda m: m._meta.label)
def test_every_list_filter_renders(admin_client, one_of_each, model):
    model_admin = admin.site._registry[model]
    response = admin_client.get(url(model, "changelist"))
    for spec in response.context["cl"].filter_specs:
        for choice in spec.choices(response.context["cl"]):
            query = choice["query_string"]
            assert admin_client.get(url(model, "changelist") + query).status_code == 200, (
                model,
                query,
            )
    if model_admin.date_hierarchy:
        year = timezone.now().year
        field = model_admin.date_hierarchy
        response = admin_client.get(url(model, "changelist"), {f"{field}__year": year})
        assert response.status_code == 200


def test_program_page_has_modules_and_assignments_inline(admin_client, world):
    response = admin_client.get(url(type(world.program), "change", world.program.pk))
    content = response.content.decode()
    assert world.module.title in content
    assert world.exercise.title in content


def test_assignment_page_has_its_rubric(admin_client, world):
    response = admin_client.get(url(type(world.exercise), "change", world.exercise.pk))
    assert world.criterion.name in response.content.decode()


def test_enrollment_page_has_pauses_and_pairings(admin_client, one_of_each, world):
    response = admin_client.get(url(Enrollment, "change", world.enrollment.pk))
    content = response.content.decode()
    assert "mentor history" in content
    assert str(world.mentor) in content
    assert str(one_of_each["pause"].start.year) in content
    assert "Paused days" in content or "paused days" in content


def test_submission_page_has_reviews_and_deployment_checks(admin_client, one_of_each, world):
    submission = world.reviewed_submission
    response = admin_client.get(url(type(submission), "change", submission.pk))
    content = response.content.decode()
    assert world.review.feedback in content
    assert "Deployment checks" in content or "deployment checks" in content


def test_enrollment_list_shows_mentor_and_pace(admin_client, world):
    response = admin_client.get(url(Enrollment, "changelist"))
    content = response.content.decode()
    assert world.mentor.user.username in content
    assert any(pace in content for pace in ("ahead (", "on track (", "at risk (", "behind ("))


def test_audited_models_show_their_history_to_staff(admin_client, django_user_model):
    from learners.services import enrollment_set_status
    from tests.learners.factories import EnrollmentFactory

    staff = django_user_model.objects.create_user("auditor", password="x", is_staff=True)
    enrollment = EnrollmentFactory()
    enrollment_set_status(actor=staff, enrollment=enrollment, status="graduated")
    response = admin_client.get(url(Enrollment, "history", enrollment.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert "graduated" in content.lower()


# --- Actions ------------------------------------------------------------------------------------


def run_action(client, action: str, enrollments):
    return client.post(
        url(Enrollment, "changelist"),
        {"action": action, "_selected_action": [e.pk for e in enrollments]},
        follow=True,
    )


@pytest.fixture
def staff_client(client):
    staff = StaffFactory(is_superuser=True)
    client.force_login(staff)
    return client


def test_pause_action_pauses_for_a_week_from_today(staff_client):
    enrollments = EnrollmentFactory.create_batch(2, cohort=CohortFactory(timezone="Asia/Tokyo"))
    response = run_action(staff_client, "pause_for_a_week", enrollments)
    assert response.status_code == 200
    assert "2 paused" in response.content.decode()
    today = clock.today("Asia/Tokyo")
    for enrollment in enrollments:
        enrollment.refresh_from_db()
        pause = Pause.objects.get(enrollment=enrollment)
        assert (pause.start, pause.end) == (today, today + dt.timedelta(days=6))
        assert enrollment.status == Enrollment.Status.PAUSED
        assert enrollment.paused_days == 7


def test_pause_action_reports_a_refusal_and_pauses_the_others(staff_client):
    open_one = EnrollmentFactory()
    closed = EnrollmentFactory(status=Enrollment.Status.WITHDRAWN)
    response = run_action(staff_client, "pause_for_a_week", [open_one, closed])
    content = response.content.decode()
    assert "1 paused" in content
    assert "withdrawn" in content.lower()
    assert Pause.objects.filter(enrollment=open_one).exists()
    assert not Pause.objects.filter(enrollment=closed).exists()


# "graduate" keeps to the graduation checklist: tests/graduation/test_admin_action.py.
@pytest.mark.parametrize(("action", "status"), [("withdraw", "withdrawn")])
def test_status_actions(staff_client, action, status):
    enrollments = EnrollmentFactory.create_batch(2)
    response = run_action(staff_client, action, enrollments)
    assert response.status_code == 200
    for enrollment in enrollments:
        enrollment.refresh_from_db()
        assert enrollment.status == status
        assert enrollment.status_changed_at is not None


def test_reactivate_ends_the_current_pause(staff_client):
    enrollment = EnrollmentFactory()
    run_action(staff_client, "pause_for_a_week", [enrollment])
    run_action(staff_client, "reactivate", [enrollment])
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE


def test_actions_need_a_staff_user(client):
    # A non-staff user cannot even reach the admin, so the action cannot run.
    user = UserFactory()
    client.force_login(user)
    enrollment = EnrollmentFactory()
    response = run_action(client, "withdraw", [enrollment])
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE
    assert "login" in response.redirect_chain[-1][0]


def test_status_fields_are_read_only_on_the_enrollment_form(staff_client):
    enrollment = EnrollmentFactory()
    response = staff_client.get(url(Enrollment, "change", enrollment.pk))
    form = response.context["adminform"].form
    assert "status" not in form.fields
    assert "paused_days" not in form.fields


# --- Forms that save through services ------------------------------------------------------------


def test_adding_a_pairing_respects_capacity(staff_client):
    mentor = MentorFactory(capacity=1)
    PairingFactory(mentor=mentor)
    enrollment = EnrollmentFactory()
    response = staff_client.post(
        url(Pairing, "add"), {"enrollment": enrollment.pk, "mentor": mentor.pk}
    )
    assert response.status_code == 200
    assert "at capacity" in response.content.decode()
    assert not Pairing.objects.filter(enrollment=enrollment).exists()


def test_adding_a_pairing_re_pairs_and_keeps_history(staff_client):
    old = PairingFactory()
    new_mentor = MentorFactory(capacity=2)
    response = staff_client.post(
        url(Pairing, "add"), {"enrollment": old.enrollment.pk, "mentor": new_mentor.pk}
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.ended_at is not None
    active = Pairing.objects.get(enrollment=old.enrollment, ended_at__isnull=True)
    assert active.mentor == new_mentor
    assert Pairing.objects.filter(enrollment=old.enrollment).count() == 2


def test_end_pairing_action(staff_client):
    pairing = PairingFactory()
    staff_client.post(
        url(Pairing, "changelist"),
        {"action": "end_pairings", "_selected_action": [pairing.pk]},
    )
    pairing.refresh_from_db()
    assert pairing.ended_at is not None


def test_adding_an_enrollment_goes_through_the_service(staff_client):
    cohort = CohortFactory()
    learner = LearnerFactory()
    response = staff_client.post(
        url(Enrollment, "add"), {"cohort": cohort.pk, "learner": learner.pk}
    )
    assert response.status_code == 302
    enrollment = Enrollment.objects.get(cohort=cohort, learner=learner)
    assert enrollment.status == Enrollment.Status.ACTIVE
    assert enrollment.status_changed_at is not None  # set by enrollment_create

    response = staff_client.post(
        url(Enrollment, "add"), {"cohort": cohort.pk, "learner": learner.pk}
    )
    assert response.status_code == 200
    assert Enrollment.objects.filter(cohort=cohort, learner=learner).count() == 1
    assert response.context["adminform"].form.errors


def test_mentor_capacity_cannot_drop_below_current_learners(staff_client):
    mentor = MentorFactory(capacity=3)
    PairingFactory.create_batch(2, mentor=mentor)
    response = staff_client.post(
        url(type(mentor), "change", mentor.pk),
        {
            "user": mentor.user.pk,
            "capacity": 1,
            "expertise": '["python"]',
            "timezone": "UTC",
            "bio": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "capacity cannot go below" in response.content.decode()
    mentor.refresh_from_db()
    assert mentor.capacity == 3
