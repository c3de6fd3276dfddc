"""Locust user for ``bench.figures`` when wrk is missing: GET one path as fast as it answers.

BENCH_PATH is the path to request, BENCH_TOKEN the API token (empty: no Authorization header).
"""

import os

from locust import FastHttpUser, constant, task


class Reader(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        token = os.environ.get("BENCH_TOKEN", "")
        self.headers = {"Authorization": f"Token {token}"} if token else {}
        self.path = os.environ["BENCH_PATH"]

    @task
    def read(self) -> None:
        self.client.get(self.path, headers=self.headers)
