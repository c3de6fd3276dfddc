"""gunicorn's access log without credentials in it (``--logger-class`` in the image).

Two of Stride's addresses carry a secret in their path: the private calendar feed
(``/calendar/<token>.ics``, the token is its only credential) and a password-reset link
(``/reset/<uid>/<token>/``, until Django swaps it for ``set-password``). gunicorn writes the path
of every request to its access log; ``AccessLogger`` writes them with the secret replaced by
``…``, in the request line (``%(r)s``), the path (``%(U)s``) and the raw URI. The format stays
whatever ``--access-logformat`` says (the image adds the request id, ``%({x-request-id}o)s``).

Imports gunicorn only; named by the command line, never imported by Stride.
"""

from __future__ import annotations

import re

from gunicorn import glogging

SECRET_PATHS = (
    (re.compile(r"(/calendar/)[A-Za-z0-9_-]+(\.ics)"), r"\1…\2"),
    (re.compile(r"(/reset/)[^/\s?]+/[^/\s?]+(/)"), r"\1…/…\2"),
)


def mask(text: str) -> str:
    """``text`` with the secret part of any credential-bearing path replaced by ``…``."""
    for pattern, replacement in SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


class AccessLogger(glogging.Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "{raw_uri}e", "{path_info}e", "{request_uri}e", "f"):
            value = atoms.get(key)
            if isinstance(value, str):
                atoms[key] = mask(value)
        return atoms
