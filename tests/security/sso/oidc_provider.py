"""A small OpenID Connect provider on 127.0.0.1, started by the tests (standard library HTTP
server in a thread, PyJWT and cryptography for the RS256 ID tokens, its key made at start).

It speaks the authorization code flow the way a real provider does: discovery, a JWKS, an
authorization page where the person types who they are (and whether the provider has verified
that address), a token endpoint that checks the client secret, the redirect URI, the one-use
code and the PKCE verifier (S256 only; a request without a challenge is refused), and a
userinfo endpoint. ``id_token_fault`` makes it send a bad ID token on purpose:
``"wrong_audience"``, ``"expired"`` or ``"wrong_nonce"``.

Every request is recorded (``authorize_requests``, ``token_requests``) so tests can prove what
Stride sent.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ID_TOKEN_FAULTS = ("wrong_audience", "expired", "wrong_nonce")


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class LocalOIDCProvider:
    def __init__(self, *, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.id_token_fault: str | None = None
        # True: the userinfo endpoint answers about another subject than the ID token's.
        self.userinfo_other_subject = False
        self.authorize_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.issued_id_tokens: list[dict] = []
        self._pending: dict[str, dict] = {}
        self._codes: dict[str, dict] = {}
        self._access_tokens: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LocalOIDCProvider:
        provider = self

        class Handler(_Handler):
            oidc = provider

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def issuer(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def netloc(self) -> str:
        return urlsplit(self.issuer).netloc

    # --- documents ---------------------------------------------------------------------------
    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "email", "email_verified", "name", "nonce"],
        }

    def jwks(self) -> dict:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def id_token(self, grant: dict) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": grant["sub"],
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "email": grant["email"],
            "email_verified": grant["email_verified"],
            "name": grant["name"],
        }
        if grant.get("nonce") is not None:
            claims["nonce"] = grant["nonce"]
        if self.id_token_fault == "wrong_audience":
            claims["aud"] = "some-other-client"
        elif self.id_token_fault == "expired":
            claims["iat"] = now - 900
            claims["exp"] = now - 600
        elif self.id_token_fault == "wrong_nonce":
            claims["nonce"] = secrets.token_urlsafe(32)
        self.issued_id_tokens.append(claims)
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    # --- flows -------------------------------------------------------------------------------
    def begin_authorization(self, params: dict[str, str]) -> tuple[str | None, str]:
        """``(request id, "")`` for a good request, ``(None, error)`` otherwise."""
        self.authorize_requests.append(dict(params))
        if params.get("client_id") != self.client_id:
            return None, "unknown client"
        if params.get("response_type") != "code":
            return None, "unsupported response_type"
        if "openid" not in params.get("scope", "").split():
            return None, "the openid scope is missing"
        if not params.get("redirect_uri"):
            return None, "redirect_uri is missing"
        if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
            return None, "PKCE (S256) is required"
        request_id = secrets.token_urlsafe(16)
        with self._lock:
            self._pending[request_id] = dict(params)
        return request_id, ""

    def approve(self, request_id: str, *, email: str, email_verified: bool) -> str:
        """The redirect back to the client, with a one-use code."""
        with self._lock:
            params = self._pending.pop(request_id)
            code = secrets.token_urlsafe(24)
            self._codes[code] = {
                "client_id": params["client_id"],
                "redirect_uri": params["redirect_uri"],
                "code_challenge": params["code_challenge"],
                "nonce": params.get("nonce"),
                "email": email,
                "email_verified": email_verified,
                "sub": "sub-" + hashlib.sha256(email.lower().encode()).hexdigest()[:16],
                "name": email.split("@")[0].title(),
            }
        query = {"code": code}
        if params.get("state") is not None:
            query["state"] = params["state"]
        separator = "&" if "?" in params["redirect_uri"] else "?"
        return params["redirect_uri"] + separator + urlencode(query)

    def exchange(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[int, dict]:
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        record = {"form": dict(form), "pkce_verified": False}
        self.token_requests.append(record)
        if client_id != self.client_id or not secrets.compare_digest(secret, self.client_secret):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None:
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        verifier = form.get("code_verifier", "")
        if not verifier or s256(verifier) != grant["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier"}
        record["pkce_verified"] = True
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = grant
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant),
        }

    def userinfo(self, access_token: str) -> dict | None:
        grant = self._access_tokens.get(access_token)
        if grant is None:
            return None
        return {
            "sub": "someone-else" if self.userinfo_other_subject else grant["sub"],
            "email": grant["email"],
            "email_verified": grant["email_verified"],
            "name": grant["name"],
        }


AUTHORIZE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Local identity provider</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>Local identity provider</h1>
<form method="post" action="/authorize">
<input type="hidden" name="request_id" value="{request_id}">
<p><label for="email">Email</label> <input id="email" name="email" type="email"></p>
<p><input id="verified" name="email_verified" type="checkbox" value="true" checked>
<label for="verified">Email verified</label></p>
<p><button type="submit">Continue</button></p>
</form></main></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    oidc: LocalOIDCProvider

    def log_message(self, format, *args):
        pass

    def _send(self, status: int, body: bytes, content_type: str, headers=None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        return {key: values[0] for key, values in parse_qs(body).items()}

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if parts.path == "/.well-known/openid-configuration":
            self._json(200, self.oidc.discovery())
        elif parts.path == "/jwks":
            self._json(200, self.oidc.jwks())
        elif parts.path == "/authorize":
            request_id, error = self.oidc.begin_authorization(query)
            if request_id is None:
                self._send(400, html.escape(error).encode(), "text/plain")
            else:
                page = AUTHORIZE_PAGE.format(request_id=html.escape(request_id))
                self._send(200, page.encode(), "text/html; charset=utf-8")
        elif parts.path == "/userinfo":
            auth = self.headers.get("Authorization", "")
            info = self.oidc.userinfo(auth.removeprefix("Bearer ").strip())
            if info is None:
                self._json(401, {"error": "invalid_token"})
            else:
                self._json(200, info)
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        form = self._form()
        if self.path == "/authorize":
            location = self.oidc.approve(
                form["request_id"],
                email=form.get("email", ""),
                email_verified=form.get("email_verified") == "true",
            )
            self._send(302, b"", "text/plain", {"Location": location})
        elif self.path == "/token":
            basic = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                basic = (user, password)
            status, data = self.oidc.exchange(form, basic)
            self._json(status, data)
        else:
            self._send(404, b"not found", "text/plain")
