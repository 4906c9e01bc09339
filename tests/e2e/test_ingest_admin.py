"""The ingestion service's token administration, guarded by Airflow's own auth: JWTs minted by
Airflow's auth manager (as its API server mints them at ``POST /auth/token``) against the
session's migrated Airflow metadata DB, checked by the running service the same way."""

from __future__ import annotations

import subprocess
import sys
import uuid

import httpx
import pytest

from netargus.store import connect
from netargus.store.migrator import migrate_database
from tests.helpers.ingest import IngestService

MINT = ("import sys; from airflow.api_fastapi.app import create_auth_manager; "
        "from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser as U; "
        "print(create_auth_manager().generate_jwt(U(username=sys.argv[1], role=sys.argv[2])))")


def mint(env: dict[str, str], user: str, role: str, **more: str) -> str:
    """An Airflow API token for ``user`` with ``role`` (simple auth manager)."""
    done = subprocess.run([sys.executable, "-c", MINT, user, role], env={**env, **more},
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def admin_service(lab, airflow_home, tmp_path_factory):
    database = f"ingest_admin_{uuid.uuid4().hex[:8]}"
    settings = lab.clickhouse_settings(database)
    migrate_database(settings)
    airflow = {k: v for k, v in airflow_home.items()
               if k.startswith("AIRFLOW__") or k == "AIRFLOW_HOME"}
    svc = IngestService(lab, settings, tmp_path_factory.mktemp("ingest-admin"))
    svc.start(**airflow)
    yield svc, airflow_home
    svc.stop()
    connect(lab.clickhouse_settings("default")).execute(f"DROP DATABASE IF EXISTS {database}")


def test_an_airflow_operator_creates_lists_and_revokes_tokens_and_others_cannot(admin_service):
    svc, env = admin_service
    url = f"{svc.url}/api/v1/admin/tokens"
    op = {"Authorization": f"Bearer {mint(env, 'ops-alice', 'op')}"}
    made = httpx.post(url, json={"name": "branch-probes", "devices": ["branch-"], "rate": 50},
                      headers=op, timeout=30)
    assert made.status_code == 201, made.text
    created = made.json()
    token, ident = created.pop("token"), created["id"]
    assert created == {"id": ident, "name": "branch-probes", "devices": ["branch-"],
                       "metrics": [], "rate": 50.0, "created_at": created["created_at"],
                       "revoked_at": None}
    series = {"series": [{"metric": "t", "tagset": {"device": "branch-1"}, "type": "tdouble",
                          "values": [["2026-11-30T12:00:00", 1]]}]}
    assert svc.post(series, token).status_code == 202  # usable at once
    listed = httpx.get(url, headers=op, timeout=30).json()
    assert [t["name"] for t in listed if t["id"] == ident] == ["branch-probes"]
    assert token not in str(listed) and "digest" not in str(listed)
    # a viewer may not manage credentials; a token signed with another secret is no token
    viewer = {"Authorization": f"Bearer {mint(env, 'bob', 'viewer')}"}
    forged = {"Authorization": "Bearer " + mint(
        env, "mallory", "admin", AIRFLOW__API_AUTH__JWT_SECRET="not-the-secret")}
    for headers, status in ((viewer, 403), (forged, 401), ({}, 401),
                            ({"Authorization": f"Bearer {token}"}, 401)):
        assert httpx.get(url, headers=headers, timeout=30).status_code == status
        assert httpx.delete(f"{url}/{ident}", headers=headers, timeout=30).status_code == status
    answer = httpx.get(url, headers=viewer, timeout=30)
    assert answer.json()["detail"] == "Airflow user 'bob' may not edit Connections"
    revoked = httpx.delete(f"{url}/{ident}", headers=op, timeout=30)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert svc.post(series, token).status_code == 401  # at once on this service
    assert httpx.delete(f"{url}/ffffffff", headers=op, timeout=30).status_code == 404
    bad = httpx.post(url, json={"name": "", "rate": -1}, headers=op, timeout=30)
    assert bad.status_code == 422
    log = svc.log.read_text()
    assert token not in log and op["Authorization"][7:] not in log
    assert f"token {ident} (branch-probes) created by Airflow user ops-alice" in log
