"""The authorization code flow driven without a browser (Django's test client plays the
browser; the local provider's approval is called directly), for the cases a browser adds
nothing to."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

LOGIN_PATH = "/accounts/oidc/stride/login/"
CALLBACK_PATH = "/accounts/oidc/stride/login/callback/"


def start(client, provider) -> dict[str, str]:
    """Press the login page's button: Stride answers with the redirect to the provider."""
    response = client.post(f"{LOGIN_PATH}?process=login")
    assert response.status_code == 302, response
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == provider.issuer
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def approve(provider, params: dict[str, str], *, email: str, verified: bool = True) -> str:
    """The person signs in at the provider: the callback address (path and query) it sends
    the browser back to."""
    request_id, error = provider.begin_authorization(params)
    assert request_id, error
    callback = urlsplit(provider.approve(request_id, email=email, email_verified=verified))
    assert callback.path == CALLBACK_PATH
    return f"{callback.path}?{callback.query}"


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")
