"""Where each lab service lives (ports, folders) and the secrets and connections it generates."""

from __future__ import annotations

import functools
import getpass
import json
import os
import secrets
import shlex
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from netargus.inventory.file import FileInventory
from netargus.store import ClickHouseSettings

REPO = Path(__file__).resolve().parent.parent
INVENTORY = REPO / "include" / "config" / "inventory.yaml"
STREAMING = REPO / "include" / "config" / "streaming.yaml"
RECORDINGS = Path(__file__).resolve().parent / "recordings.yaml"
V3_USER = "netargus-lab"
GNMI_USER = "netargus"
NETCONF_USER = getpass.getuser()  # sshd on a high port logs in only the user it runs as
MQTT_USER = "netargus"
SECRETS = ("clickhouse_password", "v3_auth_key", "v3_priv_key", "airflow_admin_password",
           "jwt_secret", "gnmi_password", "mqtt_password")


@dataclass(frozen=True)
class LabConfig:
    """One lab instance: its folder and its ports (``offset`` moves every port at once)."""

    root: Path
    offset: int = 0
    inventory_file: Path | None = None  # instead of the repo's inventory (benchmarks)
    extra_env: tuple[tuple[str, str], ...] = ()  # more environment for Airflow
    kafka_storage: str = "s3"  # "memory" when nothing must survive a broker restart (benchmarks)
    # The server's own time zone. The test lab runs ClickHouse on Tokyo time, as operators
    # often set servers to local time: every test then checks that stored times are UTC
    # instants whatever the server's zone (netargus sends epoch seconds, columns are
    # DateTime('UTC')).
    clickhouse_timezone: str = "UTC"

    @classmethod
    def demo(cls) -> LabConfig:
        return cls(Path(os.environ.get("NETARGUS_LAB_DIR", REPO / ".lab")))

    @classmethod
    def test(cls) -> LabConfig:
        """The test lab; ``NETARGUS_TEST_PORT_OFFSET`` moves its ports (default 10000), so two
        checkouts can each run their integration tests at once."""
        return cls(Path(os.environ.get("NETARGUS_TEST_LAB_DIR", REPO / ".lab-test")),
                   offset=int(os.environ.get("NETARGUS_TEST_PORT_OFFSET", "10000")),
                   clickhouse_timezone="Asia/Tokyo")

    @classmethod
    def bench(cls) -> LabConfig:
        return cls(REPO / ".lab-bench", offset=20000, kafka_storage="memory")

    @property
    def clickhouse_port(self) -> int:
        return 19000 + self.offset

    @property
    def clickhouse_http_port(self) -> int:
        return 18123 + self.offset

    @property
    def kafka_port(self) -> int:
        return 19092 + self.offset

    @property
    def s3_port(self) -> int:
        """The S3 store (moto) that keeps the Kafka broker's data across broker restarts."""
        return 19900 + self.offset

    @property
    def netconf_port(self) -> int:
        """The NETCONF device: OpenSSH's netconf subsystem in front of netconfd."""
        return 18830 + self.offset

    @property
    def snmp_port(self) -> int:
        return 11161 + self.offset

    @property
    def mqtt_port(self) -> int:
        """The MQTT broker (mosquitto)."""
        return 1883 + self.offset

    @property
    def otlp_grpc_port(self) -> int:
        """The ingestion service's OTLP/gRPC port."""
        return 4317 + self.offset

    @property
    def ingest_port(self) -> int:
        """The ingestion HTTP service (``netargus ingest``)."""
        return 8090 + self.offset

    @property
    def airflow_port(self) -> int:
        return 8080 + self.offset

    @property
    def python(self) -> str:
        return sys.executable

    def path(self, *parts: str) -> Path:
        p = self.root.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def secrets(self) -> dict[str, str]:
        """The lab's generated secrets (created once, kept in the lab folder, mode 600)."""
        path = self.path("secrets.json")
        values = json.loads(path.read_text()) if path.exists() else {}
        missing = [k for k in SECRETS if k not in values]
        if missing:  # a lab made by an older release gets the secrets it lacks
            values.update({k: secrets.token_urlsafe(12) for k in missing})
            path.write_text(json.dumps(values, indent=1))
            path.chmod(0o600)
        return values

    def inventory(self) -> Path:
        """The inventory for this lab: the repo's file, with ports moved by ``offset``."""
        if self.inventory_file is not None:
            return self.inventory_file
        if not self.offset:
            return INVENTORY
        data = yaml.safe_load(INVENTORY.read_text())
        data["defaults"]["snmp"]["port"] += self.offset
        for device in data["devices"]:
            for protocol in ("snmp", "netconf"):
                if "port" in device.get(protocol, {}):
                    device[protocol]["port"] += self.offset
        out = self.path("inventory.yaml")
        out.write_text(yaml.safe_dump(data, sort_keys=False))
        return out

    def netconf_dir(self) -> Path:
        """netconfd's socket and the SSH keys of the NETCONF device and of netargus."""
        return self.path("netconf", "x").parent

    def certs(self) -> Path:
        """Where the streaming simulators' CA and server certificates live."""
        return self.path("streamsim", "certs", "x").parent

    def parallelism(self) -> int:
        """The LocalExecutor's task slots: the SNMP pool, one per streaming shard, and two for
        the small tasks (:func:`netargus.airflow.executor_slots`)."""
        from lab.services import SNMP_POOL_SLOTS
        from netargus.airflow import executor_slots

        shards = int(yaml.safe_load(STREAMING.read_text()).get("shards", 4))
        return executor_slots(SNMP_POOL_SLOTS, shards)

    def streaming(self) -> Path:
        """The streaming file for this lab: the repo's, with ports moved by ``offset`` and
        the lab's CA as the gNMI targets' trust root."""
        data = yaml.safe_load(STREAMING.read_text())
        for target in data.get("gnmi", []):
            host, port = target["address"].rsplit(":", 1)
            target["address"] = f"{host}:{int(port) + self.offset}"
            if "tls" in target:
                target["tls"]["ca_file"] = str(self.certs() / "ca.pem")
        for listener in data.get("listeners", []):
            listener["port"] += self.offset
        for target in data.get("mqtt", []):
            host, port = target["broker"].rsplit(":", 1)
            target["broker"] = f"{host}:{int(port) + self.offset}"
        out = self.path("streaming.yaml")
        text = yaml.safe_dump(data, sort_keys=False)
        if not out.exists() or out.read_text() != text:
            out.write_text(text)
        return out

    def netconf_host_key(self) -> str:
        """The NETCONF device's SSH host key (base64), made on first use."""
        key = self.netconf_dir() / "host_key"
        if not key.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "netargus-lab",
                            "-f", str(key)], check=True)
        return (key.parent / "host_key.pub").read_text().split()[1]

    @functools.cache  # noqa: B019 (a handful of LabConfig values live for the process)
    def connections(self) -> dict[str, dict[str, Any]]:
        """Airflow Connections the lab's inventory refers to, by connection id."""
        s = self.secrets()
        v3 = {"version": "3", "auth_protocol": "sha", "priv_protocol": "aes",
              "priv_passphrase": s["v3_priv_key"]}
        conns: dict[str, dict[str, Any]] = {
            "netargus_clickhouse": {
                "conn_type": "clickhouse", "host": "127.0.0.1", "port": self.clickhouse_port,
                "login": "netargus", "password": s["clickhouse_password"], "schema": "netargus"},
            "netargus_kafka": {
                "conn_type": "kafka",
                "extra": {"bootstrap.servers": f"127.0.0.1:{self.kafka_port}"}},
            "gnmi_lab": {"conn_type": "generic", "login": GNMI_USER,
                         "password": s["gnmi_password"]},
            "mqtt_lab": {"conn_type": "mqtt", "login": MQTT_USER,
                         "password": s["mqtt_password"]},
            "netconf_lab": {"conn_type": "ssh", "login": NETCONF_USER,
                            "extra": {"key_file": str(self.netconf_dir() / "client_key"),
                                      "host_key": self.netconf_host_key()}},
            "netconf_lab_wrong": {"conn_type": "ssh", "login": NETCONF_USER,
                                  "password": "not-the-password",
                                  "extra": {"host_key": self.netconf_host_key()}},
            "snmp_lab_v3": {"conn_type": "snmp", "login": V3_USER, "password": s["v3_auth_key"],
                            "extra": v3},
            "snmp_lab_v3_wrong": {"conn_type": "snmp", "login": V3_USER,
                                  "password": "not-the-right-key", "extra": v3},
        }
        # snmpsim selects a v2c device's recording by community = the device's name
        for device in FileInventory(self.inventory()).load():
            if device.snmp is not None and device.snmp.version == "2c":
                conns[device.snmp.credentials] = {"conn_type": "snmp", "password": device.name,
                                                  "extra": {"version": "2c"}}
        return conns

    def clickhouse_settings(self, database: str | None = None) -> ClickHouseSettings:
        """The lab's ClickHouse, read from its ``netargus_clickhouse`` connection."""
        c = self.connections()["netargus_clickhouse"]
        settings = ClickHouseSettings.from_connection(
            c.get("host"), c.get("port"), c.get("login"), c.get("password"), c.get("schema"),
            c.get("extra"))
        return settings if database is None else replace(settings, database=database)

    def auth(self, protocol: str, conn_id: str) -> Any:
        """A protocol's auth object from a lab connection id, as the Airflow hook builds it
        (:func:`netargus.airflow.hooks.protocol_auth`)."""
        from netargus.protocols import drivers

        c = self.connections()[conn_id]
        return drivers()[protocol]().auth(c.get("login"), c.get("password"), c.get("extra"))

    def airflow_env(self) -> dict[str, str]:
        """Environment for Airflow processes (its components or ``dag.test()``) using this lab."""
        s = self.secrets()
        home = self.path("airflow", "x").parent
        pw_file = self.path("airflow", "passwords.json")
        pw_file.write_text(json.dumps({"admin": s["airflow_admin_password"]}))
        pw_file.chmod(0o600)
        env = {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(self.parallelism()),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(pw_file),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.airflow_port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{self.airflow_port}",
            "AIRFLOW__API_AUTH__JWT_SECRET": s["jwt_secret"],
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(8793 + self.offset),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(8794 + self.offset),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            # a DAG file is re-parsed every 2 minutes, not 30 s (six files: 0.2 s CPU a parse);
            # an edited schedule or profile shows within 2 minutes (docs/deployment.md)
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "120",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "PYTHONPATH": str(REPO / "include"),
            "NETARGUS_INVENTORY": str(self.inventory()),
            "NETARGUS_STREAMING": str(self.streaming()),
            "NETARGUS_SPOOL_DIR": str(self.path("spool", "x").parent),
        }
        env.update(dict(self.extra_env))
        for conn_id, conn in self.connections().items():
            env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(conn)
        return env

    def write_env_file(self) -> Path:
        """Write the Airflow environment as a shell file (mode 600: it holds secrets)."""
        path = self.path("airflow.env")
        lines = [f"export {k}={shlex.quote(v)}" for k, v in self.airflow_env().items()]
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)
        return path
