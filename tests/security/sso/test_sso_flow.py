"""The parts of the sign-in a browser adds nothing to, against the same local provider: a
forged or replayed state, PKCE whatever the app's settings say, an address two accounts share,
a switched-off account, userinfo about someone else, and the sessions a provider's sign-in
makes."""

from __future__ import annotations

import copy

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model

from tests.security.sso.flow import approve, signed_in_user_id, start
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def sso(sso_settings, oidc_provider):
    return oidc_provider


def test_roster_staff_member_signs_in_and_keeps_their_role(client, world, sso):
    params = start(client, sso)
    response = client.get(approve(sso, params, email="sam@example.com"))
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(world.person("sam").pk)
    assert client.get("/staff/cohorts/").status_code == 200


def test_forged_state_is_refused(client, world, sso):
    params = start(client, sso)
    callback = approve(sso, params, email="lena@example.com")
    forged = callback.replace(f"state={params['state']}", "state=forged-state-value")
    assert forged != callback

    response = client.get(forged)
    assert response.status_code >= 400
    assert signed_in_user_id(client) is None
    # The code was never exchanged: Stride stopped before talking to the provider.
    assert sso.token_requests == []
    assert not SocialAccount.objects.exists()


def test_state_from_another_browser_is_refused(client, world, sso, django_user_model):
    from django.test import Client

    params = start(client, sso)
    callback = approve(sso, params, email="lena@example.com")
    stranger = Client()
    response = stranger.get(callback)
    assert response.status_code >= 400
    assert signed_in_user_id(stranger) is None
    assert sso.token_requests == []


def test_a_callback_works_once(client, world, sso):
    params = start(client, sso)
    callback = approve(sso, params, email="lena@example.com")
    assert client.get(callback).status_code == 302
    assert signed_in_user_id(client) == str(world.person("lena").pk)

    client.post("/logout/")
    response = client.get(callback)
    assert response.status_code >= 400
    assert signed_in_user_id(client) is None


def test_pkce_is_sent_even_when_the_app_settings_turn_it_off(client, world, sso, settings):
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["openid_connect"]["OAUTH_PKCE_ENABLED"] = False
    providers["openid_connect"]["APPS"][0]["settings"]["oauth_pkce_enabled"] = False
    settings.SOCIALACCOUNT_PROVIDERS = providers

    params = start(client, sso)
    assert params["code_challenge_method"] == "S256" and params["code_challenge"]
    assert client.get(approve(sso, params, email="lena@example.com")).status_code == 302
    assert sso.token_requests[0]["pkce_verified"] is True


def test_userinfo_about_someone_else_is_refused(client, world, sso):
    sso.userinfo_other_subject = True
    params = start(client, sso)
    response = client.get(approve(sso, params, email="lena@example.com"))
    assert response.status_code == 403
    assert "someone else" in response.content.decode()
    assert signed_in_user_id(client) is None
    assert not SocialAccount.objects.exists()


def test_switched_off_account_is_refused_and_not_duplicated(client, world, sso):
    lena = world.person("lena")
    lena.is_active = False
    lena.save(update_fields=["is_active"])
    users_before = get_user_model().objects.count()

    params = start(client, sso)
    response = client.get(approve(sso, params, email="lena@example.com"))
    assert response.status_code == 403
    assert signed_in_user_id(client) is None
    assert get_user_model().objects.count() == users_before


def test_address_shared_by_two_accounts_matches_neither(client, world, sso):
    from tests.curriculum.factories import UserFactory

    UserFactory(username="lena2", email="Lena@Example.com")
    users_before = get_user_model().objects.count()

    params = start(client, sso)
    response = client.get(approve(sso, params, email="lena@example.com"))
    assert response.status_code == 403
    assert signed_in_user_id(client) is None
    assert get_user_model().objects.count() == users_before
    assert not SocialAccount.objects.exists()


def test_new_account_from_a_provider_is_never_staff(client, world, sso):
    params = start(client, sso)
    assert client.get(approve(sso, params, email="admin@example.com")).status_code == 302
    made = get_user_model().objects.get(email="admin@example.com")
    assert (made.is_staff, made.is_superuser, made.has_usable_password()) == (False, False, False)
    assert client.get("/admin/").status_code == 302  # to the admin's login, not in


def test_provider_session_outlives_the_password_switch(client, world, sso, settings):
    """Under STRIDE_PASSWORD_LOGIN=staff a learner who came in through the provider stays
    signed in; one who came in with a password is signed out."""
    params = start(client, sso)
    client.get(approve(sso, params, email="lena@example.com"))
    settings.STRIDE_PASSWORD_LOGIN = "staff"
    assert client.get("/learner/").status_code == 200

    from django.test import Client

    with_password = Client()
    settings.STRIDE_PASSWORD_LOGIN = "all"
    with_password.post("/login/", {"username": "otto", "password": PASSWORD})
    assert with_password.get("/learner/").status_code == 200
    settings.STRIDE_PASSWORD_LOGIN = "staff"
    assert with_password.get("/learner/").status_code == 302


def test_erasing_a_learner_drops_their_provider_links(client, world, sso):
    from allauth.account.models import EmailAddress

    from tracker.security.learner_data import learner_erase

    lena = world.person("lena")
    params = start(client, sso)
    client.get(approve(sso, params, email="lena@example.com"))
    assert SocialAccount.objects.filter(user=lena).exists()
    assert EmailAddress.objects.filter(user=lena, verified=True).exists()

    learner_erase(actor=world.person("sam"), user=lena)
    assert not SocialAccount.objects.filter(user=lena).exists()
    assert not EmailAddress.objects.filter(user=lena).exists()
    # The provider's next sign-in for that address finds nobody to connect to.
    params = start(client, sso)
    client.get(approve(sso, params, email="lena@example.com"))
    assert signed_in_user_id(client) != str(lena.pk)


def test_demo_seed_shows_a_newcomer_waiting_for_access(db, clock):
    from tracker.seed.builder import seed_demo
    from tracker.seed.sso import SSO_NEWCOMER_USERNAME

    seed_demo(learners=1)
    seed_demo(learners=1)  # a rerun adds nothing
    (account,) = SocialAccount.objects.all()
    assert account.user.username == SSO_NEWCOMER_USERNAME
    assert account.user.emailaddress_set.get().verified
    from mentors.roles import role_of

    assert role_of(account.user) is None


def test_newcomer_gets_access_once_staff_enrol_them_from_the_roster(
    client, world, sso, django_capture_on_commit_callbacks
):
    from tracker.roster.services import roster_import

    params = start(client, sso)
    client.get(approve(sso, params, email="fresh.face@example.com"))
    newcomer = get_user_model().objects.get(email="fresh.face@example.com")
    assert client.get("/learner/").content.decode().count("not enrolled in a cohort yet") == 1

    # Staff import a roster naming that address: the same account is enrolled, no second one.
    with django_capture_on_commit_callbacks(execute=True):
        roster_import(
            actor=world.person("sam"),
            cohort=world.cohort,
            content=b"email,first_name,last_name\nFresh.Face@example.com,Fresh,Face\n",
        )
    assert get_user_model().objects.filter(email__iexact="fresh.face@example.com").count() == 1
    client.post("/logout/")
    params = start(client, sso)
    assert client.get(approve(sso, params, email="fresh.face@example.com")).status_code == 302
    assert signed_in_user_id(client) == str(newcomer.pk)
    page = client.get("/learner/")
    assert page.status_code == 200
    assert "not enrolled in a cohort yet" not in page.content.decode()
