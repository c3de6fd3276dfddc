"""A real model server for the live-model check: a small logistic-regression scorer served over
``http.server`` on 127.0.0.1 in a thread.

``POST /predict`` with ``{"features": [x1, x2]}`` answers ``{"probability": p, "label": 0|1}``
where ``p = sigmoid(1.5 x1 - 2.0 x2 + 0.25)``. ``server.mode`` picks how it behaves:

- ``correct``: the answer above;
- ``wrong_schema``: ``{"prob": "high", "label": "yes"}`` (no probability, a label of the wrong
  type);
- ``wrong_value``: the schema holds but the model is inverted (``1 - p``, the other label);
- ``slow``: the correct answer after ``server.delay`` seconds;
- ``not_json``: an HTML error page with status 200;
- ``down``: use ``server.stop()``; nothing listens on the port any more.

``server.redirects[path] = location`` answers ``path`` with a 307 to ``location``.
"""

from __future__ import annotations

import http.server
import json
import math
import threading
import time

WEIGHTS = (1.5, -2.0)
BIAS = 0.25


def score(features: list[float]) -> dict:
    z = sum(w * x for w, x in zip(WEIGHTS, features, strict=True)) + BIAS
    probability = 1 / (1 + math.exp(-z))
    return {"probability": round(probability, 6), "label": int(probability >= 0.5)}


class ModelHandler(http.server.BaseHTTPRequestHandler):
    def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        self.server.requests.append((self.command, self.path, raw))
        if self.path in self.server.redirects:
            self.send_response(307)
            self.send_header("Location", self.server.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if self.path != "/api/predict":
            return self._answer(404, b'{"detail": "not found"}')
        try:
            features = json.loads(raw)["features"]
            answer = score(features)
        except (ValueError, KeyError, TypeError):
            return self._answer(400, b'{"detail": "send {\\"features\\": [x1, x2]}"}')
        mode = self.server.mode
        if mode == "wrong_schema":
            answer = {"prob": "high", "label": "yes"}
        elif mode == "wrong_value":
            answer = {
                "probability": round(1 - answer["probability"], 6),
                "label": 1 - answer["label"],
            }
        elif mode == "slow":
            time.sleep(self.server.delay)
        elif mode == "not_json":
            return self._answer(200, b"<html><body>Oops</body></html>", "text/html")
        return self._answer(200, json.dumps(answer).encode())

    def log_message(self, *args):
        pass


class ModelServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ModelHandler)
        self.mode = "correct"
        self.delay = 0.0
        self.requests: list[tuple[str, str, bytes]] = []
        self.redirects: dict[str, str] = {}  # path → Location of a 307
        self.port = self.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}/api"
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._running = False

    def start(self) -> ModelServer:
        self._thread.start()
        self._running = True
        return self

    def stop(self) -> None:
        if self._running:
            self.shutdown()
            self._running = False
        self.server_close()


# The contract the tests set on the world's final milestone ("Capstone demo").
CONTRACT = {
    "method": "POST",
    "path": "/predict",
    "examples": [
        {
            "name": "clear positive",
            "request": {"features": [3.0, 0.0]},
            "expect": {"pointer": "/label", "equals": 1},
        },
        {
            "name": "clear negative",
            "request": {"features": [0.0, 3.0]},
            "expect": {"pointer": "/probability", "within": [0.0, 0.1]},
        },
        {
            "name": "near the boundary",
            "request": {"features": [0.1, 0.1]},
            "expect": {"pointer": "/label", "one_of": [0, 1]},
        },
    ],
    "response_schema": {
        "type": "object",
        "required": ["probability", "label"],
        "properties": {
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
            "label": {"type": "integer", "enum": [0, 1]},
        },
    },
    "latency_budget_ms": 400,
}
