"""The ``netargus`` command line: what netargus does with one device or one message.

Every command runs the code the DAGs run (the same inventory, profiles, credentials, walks,
decoders and rate judgment) and prints JSON lines on stdout; nothing is stored unless
``--store`` says so. Inventory and profiles resolve as in the DAGs (``--inventory`` /
``--profiles``, else ``$NETARGUS_INVENTORY`` / ``$NETARGUS_PROFILES``, else the bundled
files); credentials are the Airflow Connections the inventory names, looked up the way Airflow
does (``AIRFLOW_CONN_*`` environment variables, then a secrets backend or the metastore), so
a secret never appears on the command line or in the output.

Exit codes: 0 the device answered everything asked (or the message decoded), 1 it did not
(the outcome line says why) or the message was dead-lettered, 2 bad usage or configuration.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from netargus.config import ConfigError
from netargus.model import Device, Kind, PollOutcome, PollResult, Sample
from netargus.settings import inventory_path, profiles_path

app = typer.Typer(
    name="netargus", no_args_is_help=True, add_completion=False,
    help="What netargus does with one device or one message, as JSON lines on stdout.")

InventoryOpt = Annotated[Path | None, typer.Option(
    "--inventory", help="Inventory file (default: $NETARGUS_INVENTORY, else the bundled one).")]
ProfilesOpt = Annotated[Path | None, typer.Option(
    "--profiles", help="Profiles file (default: $NETARGUS_PROFILES, else the bundled one).")]
StoreOpt = Annotated[bool, typer.Option(
    "--store", help="Also write what was collected to ClickHouse (off: nothing is stored).")]
ClickHouseOpt = Annotated[str, typer.Option(
    "--clickhouse-conn-id", help="The Airflow Connection of ClickHouse, for --store.")]


class Usage(Exception):
    """A mistake in what the user asked (exit code 2)."""


OUT: TextIO = sys.stdout  # where the JSON lines go (see main)


def emit(obj: dict[str, Any]) -> None:
    """One JSON line on stdout."""
    OUT.write(json.dumps(obj, default=_jsonable, separators=(",", ":")) + "\n")
    OUT.flush()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)


def sample_json(sample: Sample) -> dict[str, Any]:
    """A sample as the JSON sample object of ``netargus.streaming.decoders`` (``bits`` included
    when the device said the counter's width): what ``netargus rates`` reads back."""
    from netargus.streaming.raw import sample_object

    return sample_object(sample)


def outcome_json(result: PollResult) -> dict[str, Any]:
    return {"outcome": result.status.value, "device": result.device,
            "source": result.source, "error": result.error,
            "duration_s": round(result.duration_s, 3), "samples": result.sample_count}


def _run(work: Any) -> None:
    """Run a command body; configuration and usage errors become exit code 2."""
    try:
        code = work()
    except (Usage, ConfigError) as exc:
        typer.echo(f"netargus: {exc}", err=True)
        raise typer.Exit(2) from None
    except BrokenPipeError:  # the reader stopped early (| head): what it read was written
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    raise typer.Exit(code or 0)


def find_device(name: str, inventory: Path | None) -> Device:
    """The inventory's device ``name``.

    Raises:
        Usage: no such device (the message lists a few that exist).
        netargus.config.ConfigError: the inventory file is invalid.
    """
    from netargus.inventory.file import FileInventory
    from netargus.jobs.runner import Drivers, unspoken_result
    from netargus.protocols import drivers

    path = inventory_path(inventory)
    devices = {d.name: d for d in FileInventory(path).load()}
    if name not in devices:
        known = ", ".join(sorted(devices)[:8]) + (", ..." if len(devices) > 8 else "")
        raise Usage(f"no device {name!r} in {path} (it has: {known or 'none'})")
    device = devices[name]
    with Drivers.open(drivers()) as available:
        if not any(driver.speaks(device) for driver in available.values()):
            error = unspoken_result(device, available, datetime.now(UTC)).error
            raise Usage(f"device {name!r} {error}")
    return device


def _lookup() -> Any:
    """The DAGs' credentials lookup (Airflow Connections), imported only when needed."""
    import logging

    from netargus.airflow.hooks import protocol_auth

    # Airflow warns on stderr for every secret too short to mask (a lab's community): noise
    logging.getLogger("airflow.sdk._shared.secrets_masker.secrets_masker").setLevel(
        logging.ERROR)
    return protocol_auth


def _traits(device: Device, observed_at: datetime) -> tuple[Any, list[PollResult]]:
    """What discovery would learn of ``device`` now (vendor, platform, sysObjectID, YANG
    modules), for choosing the metric groups that apply to it, and how each probe went."""
    from netargus.jobs.discovery import discover
    from netargus.profiles import Traits

    report = asyncio.run(discover([device], _lookup(), observed_at))
    vendor, platform, model = "unknown", "", ""
    for facts in report.facts:  # SNMP's first: its sysObjectID is the model
        if vendor == "unknown":
            vendor, platform, model = facts.vendor, facts.platform, facts.sys_object_id
    modules = tuple(sorted({row["module"] for row in
                            report.tables.get("netconf_capabilities", [])}))
    return Traits(vendor=vendor, platform=platform, model=model, modules=modules), \
        report.results


def _check_store(conn_id: str, doing: str = "--store", undone: str = "nothing was polled"
                 ) -> None:
    """Before collecting anything for ``--store`` (or before ``doing``): ClickHouse answers
    through ``conn_id``.

    Raises:
        Usage: it does not (a missing Connection, a refused connection, a wrong password),
            with the reason's first line (exit code 2, nothing polled).
    """
    import logging

    from netargus.airflow.hooks import ClickHouseHook

    # the driver logs each refused connection with its traceback; the one line below says it
    logging.getLogger("clickhouse_driver.connection").setLevel(logging.ERROR)
    try:
        ClickHouseHook(conn_id).get_conn().execute("SELECT 1")
    except Exception as exc:  # the driver's and Airflow's errors alike: say it, don't trace
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise Usage(f"{doing}: ClickHouse via connection {conn_id!r} does not answer "
                    f"({type(exc).__name__}: {first[:300]}); {undone}") from None


def _store(samples: list[Sample], results: list[PollResult], conn_id: str,
           rows: dict[str, list[Any]] | None = None) -> int:
    """Write what a command collected; a failure is reported in one line (exit code 1),
    what was printed stands."""
    from netargus.airflow.hooks import ClickHouseHook
    from netargus.sink.clickhouse import ClickHouseSink

    try:
        sink = ClickHouseSink(ClickHouseHook(conn_id).get_conn())
        sink.write_samples(samples)
        for table, items in (rows or {}).items():
            sink.write_records(table, items)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        sink.write_poll_status(results, dag_id="netargus_cli", run_id=f"cli__{stamp}")
    except Exception as exc:  # the driver's and Airflow's errors alike: say it, don't trace
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        typer.echo(f"netargus: nothing stored: ClickHouse via connection {conn_id!r}: "
                   f"{type(exc).__name__}: {first[:300]}", err=True)
        return 1
    return 0


@app.command()
def poll(device: Annotated[str, typer.Argument(help="The device's name in the inventory.")],
         profile: Annotated[list[str] | None, typer.Option(
             "--profile", "-p", help="Profile(s) to poll (default: every profile whose "
             "selector picks the device).")] = None,
         count: Annotated[int, typer.Option(help="Polls to make.", min=1)] = 1,
         every: Annotated[float, typer.Option(help="Seconds between polls.", min=0)] = 60.0,
         inventory: InventoryOpt = None, profiles: ProfilesOpt = None,
         store: StoreOpt = False,
         clickhouse_conn_id: ClickHouseOpt = "netargus_clickhouse") -> None:
    """Poll DEVICE as its polling DAG would: samples, then the outcome, as JSON lines.

    Pipe two or more polls into 'netargus rates' to see their rates:
    netargus poll sw1 --count 2 --every 10 | netargus rates
    """
    _run(lambda: _poll(device, profile or [], count, every, inventory, profiles, store,
                       clickhouse_conn_id))


def _poll(name: str, chosen: list[str], count: int, every: float, inventory: Path | None,
          profiles_file: Path | None, store: bool, conn_id: str) -> int:
    from netargus.jobs.polling import applicable
    from netargus.jobs.polling import poll as poll_targets
    from netargus.jobs.runner import Drivers
    from netargus.profiles import load_profiles
    from netargus.protocols import drivers
    from netargus.transform.plugins import apply, resolve

    device = find_device(name, inventory)
    spec = load_profiles(profiles_path(profiles_file))
    unknown = [p for p in chosen if p not in spec.profiles]
    if unknown:
        raise Usage(f"no profile {unknown[0]!r} (profiles: {', '.join(sorted(spec.profiles))})")
    if store:
        _check_store(conn_id)
    traits, probes = _traits(device, datetime.now(UTC))
    names = chosen or [n for n, p in spec.profiles.items() if p.select.matches(device, traits)]
    with Drivers.open(drivers()) as available:
        groups = applicable({g: spec.metric_groups[g] for n in names
                             for g in spec.profiles[n].metric_groups}, device, traits, available)
    # the profiles' transforms, in order, as polling applies them (unknown: a config error)
    transforms = resolve(list(dict.fromkeys(t for n in names for t in spec.profiles[n].transforms)))
    failed = [r for r in probes if r.status is not PollOutcome.OK]
    if not groups and failed:  # the device did not answer: say how, as a poll would
        for result in failed:
            emit(outcome_json(result))
        return 1
    if not groups:
        raise Usage(f"no metric group of {', '.join(names) or 'any profile'} serves {name} "
                    f"(vendor {traits.vendor!r}, modules {list(traits.modules)})")
    worst = 0
    for i in range(count):
        if i:
            time.sleep(every)
        report = asyncio.run(poll_targets([(device, traits)], groups, _lookup(),
                                          datetime.now(UTC)))
        samples = apply(transforms, report.samples)
        for sample in samples:
            emit(sample_json(sample))
        for result in report.results:
            emit(outcome_json(result))
            worst = max(worst, 0 if result.status is PollOutcome.OK else 1)
        if store:
            worst = max(worst, _store(samples, report.results, conn_id))
    return worst


@app.command()
def enrich(device: Annotated[str, typer.Argument(help="The device's name in the inventory.")],
           inventory: InventoryOpt = None, store: StoreOpt = False,
           clickhouse_conn_id: ClickHouseOpt = "netargus_clickhouse") -> None:
    """Enrich DEVICE as the enrichment DAG would: its interfaces, hardware, neighbors and
    endpoints rows (each line says its table), then the outcome."""
    _run(lambda: _enrich(device, inventory, store, clickhouse_conn_id))


def _enrich(name: str, inventory: Path | None, store: bool, conn_id: str) -> int:
    from netargus.jobs.enrichment import enrich as enrich_devices

    device = find_device(name, inventory)
    if store:
        _check_store(conn_id)
    report = asyncio.run(enrich_devices([device], _lookup(), datetime.now(UTC)))
    for table, items in report.rows.items():
        for item in items:
            emit({"table": table, **{f.name: getattr(item, f.name) for f in fields(item)}})
    for result in report.results:
        emit(outcome_json(result))
    code = 0 if all(r.status is PollOutcome.OK for r in report.results) else 1
    if store:
        code = max(code, _store([], report.results, conn_id, report.rows))
    return code


@app.command()
def rates(profiles: ProfilesOpt = None) -> None:
    """Read samples as JSON lines on stdin (the sample object: ts ISO-8601, device, source,
    metric, labels, value, kind; lines that are not samples, such as the outcome lines of
    'netargus poll', are skipped) and print each counter reading's rate with its reason.

    Counters of the profiles' metric groups are judged with their width, speed limit and
    ceiling; other counters as 64-bit with no bound. A reason says why a value is missing.
    """
    _run(lambda: _rates(sys.stdin, profiles))


def read_samples(lines: Iterable[str]) -> Iterator[Sample]:
    """Samples from JSON lines; a line that is not a sample object is skipped, a sample line
    that is invalid stops with its line number.

    Raises:
        Usage: an invalid sample line (the reason names the line and the field).
    """
    from netargus.streaming.decoders import decode
    from netargus.streaming.raw import Rejected

    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Usage(f"stdin line {number}: not JSON ({exc})") from None
        if not isinstance(obj, dict) or "metric" not in obj:
            continue  # an outcome or a table row
        try:
            (sample,) = decode(text.encode())
        except Rejected as exc:  # one sample per line: the decoder's "sample 0" says nothing
            raise Usage(f"stdin line {number}: {str(exc).removeprefix('sample 0: ')}") \
                from None
        yield sample


def _rates(lines: Iterable[str], profiles_file: Path | None) -> int:
    from netargus.profiles import load_profiles
    from netargus.transform.derive import (
        CounterSpec,
        RateRow,
        StoredSample,
        counter_specs,
        default_ceiling,
        rates_from_samples,
    )

    profiles = load_profiles(profiles_path(profiles_file))
    rows: dict[str, dict[tuple[str, str, str, float], StoredSample]] = {}
    counters: dict[str, set[str]] = {}
    for s in read_samples(lines):
        key = (s.device, s.metric, s.series, s.ts.timestamp())
        earlier = rows.setdefault(str(s.source), {}).get(key)
        if earlier is not None and earlier.value != s.value:  # the store keeps one too
            typer.echo(f"netargus: {s.device} {s.metric} {s.series or '-'} at "
                       f"{s.ts.isoformat()}: two readings ({earlier.value!r}, {s.value!r}) at "
                       "one time; the last is kept, as ClickHouse keeps the last", err=True)
        rows[str(s.source)][key] = StoredSample(
            s.device, s.metric, s.series, s.labels, s.ts.timestamp(), s.value, s.bits)
        if s.kind is Kind.COUNTER:
            counters.setdefault(str(s.source), set()).add(s.metric)
    out: list[RateRow] = []
    for source, stored in rows.items():
        # judged as the DAGs judge them: the profiles' groups of that protocol (SNMP and
        # NETCONF name their counters alike, with other bounds), and every other counter as
        # 64-bit up to the physical ceiling
        specs = counter_specs(g for g in profiles.metric_groups.values()
                              if g.protocol == source)
        for metric in counters.get(source, ()):
            specs.setdefault(metric, CounterSpec(bits=64, ceiling=default_ceiling(metric)))
        out += [replace(r, source=source)
                for r in rates_from_samples(list(stored.values()), specs, -math.inf,
                                            math.inf)]
    for r in sorted(out, key=lambda r: (r.device, r.source, r.metric, r.series, r.rate.end)):
        emit({"ts": datetime.fromtimestamp(r.rate.end, UTC), "device": r.device,
              "source": r.source, "metric": r.metric, "labels": dict(r.labels),
              "value": r.rate.value, "reason": r.rate.reason.value,
              "seconds": round(r.rate.end - r.rate.start, 3)})
    return 0


def json_messages(raw: bytes) -> list[bytes]:
    """JSON samples as messages: the whole file when it is one JSON value (a sample or a
    list), else one message per line (JSON lines, as ``netargus poll`` prints them)."""
    try:
        json.loads(raw)
        return [raw]
    except (UnicodeDecodeError, ValueError):
        lines = [line for line in raw.splitlines() if line.strip()]
        return lines if len(lines) > 1 else [raw]


@app.command()
def decode(file: Annotated[str, typer.Argument(help="The message(s): a file, or - for stdin. "
                                               "Protobuf as sent on the wire, protobuf JSON, "
                                               "text format or hex lines.")],
           format: Annotated[str, typer.Option(
               "--format", "-f", help="gnmi (Notifications), mdt (Cisco kvGPB Telemetry "
               "messages), jti (Juniper TelemetryStreams) or json (netargus samples).")],
           device: Annotated[str | None, typer.Option(
               help="The sending device (default: the name the message carries).")] = None
           ) -> None:
    """Decode message(s) as the stream loader would: the samples as JSON lines, each leaf
    that became no sample as a 'dropped' line with its reason, or the reason the loader
    would dead-letter the message (a 'deadletter' line; exit code 1)."""
    _run(lambda: _decode(file, format, device))


def _decode(file: str, fmt: str, device: str | None) -> int:
    from netargus.streaming.decoders import decode_payload, formats
    from netargus.streaming.raw import Rejected
    from netargus.streaming.wire import Unreadable, wire_messages

    if fmt not in formats():
        raise Usage(f"unknown format {fmt!r} (use {', '.join(formats())})")
    try:
        raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        messages = json_messages(raw) if fmt in ("json", "samples+json") \
            else wire_messages(fmt, raw)
    except OSError as exc:
        raise Usage(f"cannot read {file}: {exc.strerror}") from None
    except Unreadable as exc:
        raise Usage(f"{file}: {exc}") from None
    rejected = 0
    for n, payload in enumerate(messages):
        try:
            decoded = decode_payload(payload, fmt, device)
        except Rejected as exc:
            emit({"deadletter": str(exc), "message": n,
                  "dropped": [str(d) for d in exc.dropped]})
            rejected += 1
            continue
        for sample in decoded.samples:
            emit(sample_json(sample))
        for leaf in decoded.dropped:
            emit({"dropped": leaf.path, "reason": leaf.reason, "value": leaf.value,
                  "message": n})
    return 1 if rejected else 0


tokens = typer.Typer(no_args_is_help=True, help="The ingestion APIs' client tokens (kept in "
                     "ClickHouse as digests; a token is shown once, when it is created).")
app.add_typer(tokens, name="tokens")
TokenConnOpt = Annotated[str, typer.Option(
    "--clickhouse-conn-id", help="The Airflow Connection of ClickHouse.")]


def _token_store(conn_id: str) -> Any:
    """The token table through ``conn_id`` (Usage, exit code 2, when ClickHouse does not
    answer)."""
    from netargus.airflow.hooks import ClickHouseHook
    from netargus.ingest.tokens import TokenStore

    _check_store(conn_id, "tokens", "no token was changed")
    return TokenStore(ClickHouseHook(conn_id).get_conn())


@tokens.command("create")
def tokens_create(
        name: Annotated[str, typer.Argument(help="Who or what uses the token.")],
        device: Annotated[list[str] | None, typer.Option(
            "--device", help="Device-name prefix it may write (repeat; default: any).")] = None,
        metric: Annotated[list[str] | None, typer.Option(
            "--metric", help="Metric-name prefix it may write (repeat; default: any).")] = None,
        rate: Annotated[float, typer.Option(
            help="Samples/s it may send (0: the service's default).")] = 0.0,
        conn_id: TokenConnOpt = "netargus_clickhouse") -> None:
    """Create a token and print it once, with its id (the token itself is not kept)."""
    def work() -> int:
        try:
            token, text = _token_store(conn_id).create(name, device or (), metric or (), rate)
        except ValueError as exc:
            raise Usage(str(exc)) from None
        emit({**token.public(), "token": text})
        return 0
    _run(work)


@tokens.command("list")
def tokens_list(conn_id: TokenConnOpt = "netargus_clickhouse") -> None:
    """Print every token (id, name, scope, rate, created, revoked), never a secret."""
    def work() -> int:
        for token in _token_store(conn_id).tokens():
            emit(token.public())
        return 0
    _run(work)


@tokens.command("revoke")
def tokens_revoke(ident: Annotated[str, typer.Argument(help="The token's id (or the token).")],
                  conn_id: TokenConnOpt = "netargus_clickhouse") -> None:
    """Revoke a token: the service refuses it within its refresh time (10 s)."""
    def work() -> int:
        try:
            emit(_token_store(conn_id).revoke(ident).public())
        except KeyError as exc:
            raise Usage(str(exc.args[0])) from None
        return 0
    _run(work)


@app.command()
def ingest(host: Annotated[str | None, typer.Option(help="Listen address (default: "
                                                    "ingest.yaml's listen.host).")] = None,
           port: Annotated[int | None, typer.Option(help="Listen port (default: ingest.yaml's "
                                                    "listen.port).")] = None,
           workers: Annotated[int, typer.Option(help="Processes (each with its own spool).")]
           = 1,
           grpc_port: Annotated[int | None, typer.Option(
               help="OTLP/gRPC port (default: ingest.yaml's listen.grpc_port; 0: none).")]
           = None) -> None:
    """Run the ingestion service in the foreground: TSorage and Datadog series on
    /api/v1/series, OTLP metrics on /v1/metrics and over gRPC; see netargus.ingest.app for
    what it answers."""
    from netargus.ingest.service import serve

    def work() -> int:
        serve(host, port, workers, grpc_port)
        return 0
    _run(work)


def main() -> None:
    """The console script's entry point. stdout carries only the JSON lines: whatever a
    library prints there (Airflow's log lines, for one) goes to stderr instead."""
    global OUT
    OUT = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    app()
