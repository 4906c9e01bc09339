"""A small client for Airflow 3's REST API v2 (token auth), standard library only."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

RETRIES = 4


class AirflowApi:
    """Log in once, then call ``/api/v2`` with the bearer token."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base = base_url.rstrip("/")
        self._token = self._login(username, password)

    def _request(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for attempt in range(RETRIES + 1):
            try:
                with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 (loopback)
                    return json.loads(r.read() or b"null")
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:300]
                # the lab's metadata DB is SQLite: a write that meets another one fails with
                # "Database error" (HTTP 500) and succeeds when tried again
                if exc.code == 500 and b"Database error" in detail and attempt < RETRIES:
                    time.sleep(1.0 + attempt)
                    continue
                raise RuntimeError(f"{method} {path}: HTTP {exc.code}: {detail!r}") from None
        raise AssertionError("unreachable")

    def _login(self, username: str, password: str) -> str:
        return self._request("POST", "/auth/token",
                             {"username": username, "password": password})["access_token"]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return self._request(method, "/api/v2" + path, body, self._token)

    def dag_ids(self) -> list[str]:
        return [d["dag_id"] for d in self.call("GET", "/dags?limit=100")["dags"]]

    def import_errors(self) -> list[dict[str, Any]]:
        return self.call("GET", "/importErrors")["import_errors"]

    def unpause(self, dag_id: str) -> None:
        self.call("PATCH", f"/dags/{dag_id}", {"is_paused": False})

    def trigger(self, dag_id: str, logical_date: str | None) -> str:
        run = self.call("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": logical_date})
        return run["dag_run_id"]

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
