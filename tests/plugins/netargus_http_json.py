"""An example netargus protocol plugin: devices that serve their state as JSON over HTTP.

It lives outside the ``netargus`` package and edits nothing in it: installed as a
distribution, it registers through the ``netargus.protocols`` entry point; dropped in a
``plugins/`` folder (on ``sys.path``, as Airflow puts it), it registers itself when imported,
which ``$NETARGUS_PLUGINS=netargus_http_json`` asks for. Profiles name
it (``protocol: http_json`` with ``options: {path: /metrics}``), inventories give its
per-device settings under ``protocols: {http_json: {port: 8080, credentials: conn_id}}``.

The device's API (what the tests' HTTP server serves, HTTP basic auth):

- ``GET /system``: ``{"hostname", "description", "vendor", "platform"}`` -> ``devices``;
- ``GET /interfaces``: ``[{"ifIndex", "ifName", "speed_mbps", "oper_status"}]`` ->
  ``interfaces``;
- ``GET <options.path>``: ``{"metrics": [{"metric", "value", "kind", "labels"}]}`` -> samples.
"""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from netargus.auth import LoginAuth
from netargus.model import Device, DeviceFacts, Interface, PollOutcome, Sample
from netargus.profiles import MetricGroup
from netargus.protocols import CollectError, Discovered, GroupResult, TableRead, register

NAME = "http_json"


@dataclass
class HttpJsonSession:
    """One device over HTTP."""

    device: Device
    base: str
    auth: LoginAuth
    timeout: float

    def _get(self, path: str) -> Any:
        request = urllib.request.Request(self.base + path)
        token = base64.b64encode(f"{self.auth.login}:{self.auth.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as exc:
            outcome = PollOutcome.AUTH_FAILURE if exc.code in (401, 403) else \
                PollOutcome.PARTIAL
            raise CollectError(outcome, f"HTTP {exc.code} for {path}") from None
        except TimeoutError:
            raise CollectError(PollOutcome.TIMEOUT, f"no answer from {self.base}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise CollectError(PollOutcome.NETWORK_FAILURE,
                               f"cannot reach {self.base}: {exc}") from None

    async def get(self, path: str) -> Any:
        return await asyncio.to_thread(self._get, path)

    async def discover(self, observed_at: datetime) -> Discovered:
        system = await self.get("/system")
        return Discovered(DeviceFacts(
            device=self.device.name, host=self.device.host, observed_at=observed_at,
            sys_name=system.get("hostname", ""), sys_descr=system.get("description", ""),
            vendor=system.get("vendor", "unknown"), platform=system.get("platform", ""),
            site=self.device.site, role=self.device.role, protocols=(NAME,)))

    async def dimensions(self, observed_at: datetime) -> AsyncIterator[TableRead]:
        rows = [Interface(device=self.device.name, if_index=int(i["ifIndex"]),
                          observed_at=observed_at, if_name=i["ifName"],
                          speed_mbps=float(i.get("speed_mbps", 0)),
                          oper_status=int(i.get("oper_status", 0)), source=NAME)
                for i in await self.get("/interfaces")]
        yield TableRead("interfaces", rows)

    async def state(self) -> list[Sample]:
        return []

    async def poll(self, name: str, group: MetricGroup) -> GroupResult:
        answer = await self.get(group.options["path"])
        now = datetime.now(UTC)
        return GroupResult([Sample(ts=now, device=self.device.name, source=NAME,
                                   metric=m["metric"], value=m["value"],
                                   kind=m.get("kind", "gauge"),
                                   labels=tuple(m.get("labels", {}).items()))
                            for m in answer["metrics"]])


class HttpJsonDriver:
    """The ``http_json`` protocol (see the module docstring)."""

    name = NAME
    concurrency = 16

    def speaks(self, device: Device) -> bool:
        return NAME in device.protocols

    def conn_id(self, device: Device) -> str:
        return str(device.protocols[NAME]["credentials"])

    def auth(self, login: str | None, password: str | None, extra: dict[str, Any] | None
             ) -> LoginAuth:
        return LoginAuth(login or "", password or "")

    def time_bound(self, device: Device, job: str) -> float:
        return 3 * float(device.protocols[NAME].get("timeout", 2.0))

    def serves(self, group: MetricGroup) -> bool:
        return group.protocol == NAME

    @asynccontextmanager
    async def session(self, device: Device, auth: LoginAuth) -> AsyncIterator[HttpJsonSession]:
        settings = device.protocols[NAME]
        yield HttpJsonSession(device, f"http://{device.host}:{settings['port']}", auth,
                              float(settings.get("timeout", 2.0)))

    def close(self) -> None:
        """Nothing is shared between sessions."""


# the plugins-folder route ($NETARGUS_PLUGINS=netargus_http_json): registered when imported
register(NAME, HttpJsonDriver)
