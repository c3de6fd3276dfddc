"""Start the identity provider: ``python -m tests.security.sso.dot_provider.serve``.

Reads ``IDP_PORT``, ``IDP_DATABASE``, ``IDP_RSA_PRIVATE_KEY``, ``IDP_CLIENT_ID``,
``IDP_CLIENT_SECRET``, ``IDP_REDIRECT_URI``, ``IDP_USERS`` (JSON list of ``{username, password,
email, last_name}``) and ``IDP_NOW`` (the test world's instant: this process's clock starts
there and runs, so its ID tokens are issued at the world's time)."""

import datetime as dt
import json
import os

import time_machine

time_machine.travel(dt.datetime.fromisoformat(os.environ["IDP_NOW"]), tick=True).start()
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.security.sso.dot_provider.settings"

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.servers.basehttp import run  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    for person in json.loads(os.environ["IDP_USERS"]):
        user = get_user_model().objects.create_user(
            username=person["username"],
            password=person["password"],
            email=person["email"],
            last_name=person.get("last_name", ""),
        )
        user.save()
    Application.objects.create(
        name="Stride",
        client_id=os.environ["IDP_CLIENT_ID"],
        client_secret=os.environ["IDP_CLIENT_SECRET"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=os.environ["IDP_REDIRECT_URI"],
        skip_authorization=True,
        algorithm=Application.RS256_ALGORITHM,
    )
    run("127.0.0.1", int(os.environ["IDP_PORT"]), get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main()
