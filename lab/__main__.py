"""``python -m lab up|down|status|env|demo``: the local lab's command line (see README)."""

from __future__ import annotations

import argparse
import sys
import time

from lab import services
from lab.config import LabConfig
from lab.procs import LabError


def _status(cfg: LabConfig) -> int:
    for service in services.ALL.values():
        running = service.running(cfg)
        try:
            ready = running and service.ready(cfg)
        except Exception:
            ready = False
        state = "ready" if ready else ("starting" if running else "stopped")
        print(f"  {service.name:<11} {state:<9} 127.0.0.1:{service.port(cfg)}"
              f"  log: {service.log_file(cfg)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status", "env", "demo"])
    parser.add_argument("--test", action="store_true", help="the test lab (other ports and folder)")
    parser.add_argument("--bench", action="store_true", help="the benchmarks' lab")
    parser.add_argument("--airflow", action="store_true", help="with 'up': start Airflow too")
    args = parser.parse_args(argv)
    cfg = LabConfig.test() if args.test else LabConfig.bench() if args.bench else LabConfig.demo()
    try:
        if args.command == "up":
            from lab.demo import apply_migrations

            services.up(cfg, services.DATA_SERVICES)
            apply_migrations(cfg)  # the ingestion service's tokens live in ClickHouse
            services.up(cfg, services.PUSH_SERVICES + ((services.AIRFLOW,) if args.airflow
                                                       else ()))
            print(f"  environment: source {cfg.write_env_file()}")
        elif args.command == "down":
            services.down(cfg)
        elif args.command == "status":
            return _status(cfg)
        elif args.command == "env":
            print(cfg.write_env_file())
        elif args.command == "demo":
            from lab.demo import run_demo

            t0 = time.monotonic()
            run_demo(cfg)
            print(f"demo ready in {time.monotonic() - t0:.0f}s")
    except LabError as exc:
        print(f"lab: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
