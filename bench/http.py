"""Benchmark: the organisation directory under 50 concurrent clients, beside a minimal Django
view served by the same server in the same run (run by `make bench`, never by the tests).

    .venv/bin/python bench/http.py [--organizations 2000] [--clients 50] [--duration 10]
                                   [--rounds 3]

1. Builds a scratch database (SQLite in a temporary directory, or DATABASE_URL if set: give a
   database you can throw away) and loads the demo territory of Cotacachi and N organisations
   through Minga's own services.
2. Starts gunicorn on a free loopback port with bench/http_site.py (Minga's settings and URLs
   plus the minimal view /bench/minimal).
3. Measures requests per second and the 95th-percentile latency of each URL with `wrk` when it
   is installed, otherwise with a bounded Python load generator (threads + http.client, one
   connection per client, loopback only), in rounds: each round measures every URL in turn,
   so that on a shared machine a burst of someone else's load falls on all of them alike.
   Prints each round, the median of the rounds, and whether the directory reaches the target:
   at least 50 % of the minimal view's throughput (the median of the rounds' ratios, each
   between measurements taken seconds apart).
"""

import sys
from pathlib import Path

# This file is called http.py: its own directory must not shadow the standard library's `http`.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from functools import partial  # noqa: E402

TARGET_RATIO = 0.5
SETTINGS = "bench.http_site"


@dataclass(frozen=True)
class Result:
    url: str
    requests: int
    errors: int
    seconds: float
    p95_ms: float
    tool: str
    # CPU time the server's processes spent per request: unlike req/s, other programs running
    # on a shared machine barely change it (None where /proc cannot tell).
    cpu_ms_per_request: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _env(db_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS
    env["MINGA_BENCH_SQLITE"] = str(db_path)
    env["PYTHONPATH"] = str(ROOT)
    return env


def load(n: int) -> None:
    """Runs in a child process with the bench settings: migrates and loads the data."""
    import django

    django.setup()
    from datetime import date

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from minga.actors.models import Classification, FirmSize
    from minga.actors.selectors import organization_directory, territory_by_code
    from minga.actors.services import organization_create
    from minga.core.identifiers import ec_private_ruc_check_digit
    from minga.territories import demo as territories_demo

    call_command("migrate", verbosity=0, interactive=False)
    now = timezone.now()
    territories_demo.load(now=now)
    parishes = [
        territory_by_code(code=c)
        for c in ("100301", "100302", *(f"1003{k}" for k in range(50, 59)))
    ]
    assert all(p is not None for p in parishes), "the territories demo has the 11 parishes"
    classes = [c for c in Classification.values if c != Classification.COUNCIL]
    words = ["Cooperativa", "Asociación", "Comuna", "Junta", "Empresa", "Red", "Unión"]
    trades = ["Tejedoras", "Caficultores", "Artesanos", "Agua", "Turismo", "Cuero", "Panela"]
    with transaction.atomic():
        serial = 0
        for i in range(n):
            classification = classes[i % len(classes)]
            while True:
                serial += 1
                body = f"109{serial:06d}"
                check = ec_private_ruc_check_digit(body)
                if check is not None:
                    break
            organization_create(
                actor="bench",
                now=now,
                name=f"{words[i % 7]} {trades[(i // 7) % 7]} {i:04d}",
                classification=classification,
                size=FirmSize.MICRO if classification == Classification.PRIVATE_FIRM else "",
                area_id=parishes[i % len(parishes)].pk,
                founding_date=date(1950 + i % 70, 1 + i % 12, 1),
                summary=f"Organización número {i} de la prueba de carga.",
                identifiers=[("EC-RUC", f"{body}{check}001")],
            )
    assert organization_directory().count == n


def server_cpu_s(master_pid: int) -> float | None:
    """User + system CPU seconds of gunicorn's master and its workers so far (Linux /proc)."""
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
        ticks = 0
        for pid in [str(master_pid), *children]:
            # Fields 14 and 15 (utime, stime) follow the parenthesised command name.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(measure_one: Callable[[], Result], master_pid: int) -> Result:
    before = server_cpu_s(master_pid)
    result = measure_one()
    after = server_cpu_s(master_pid)
    if before is None or after is None or not result.requests:
        return result
    return replace(result, cpu_ms_per_request=(after - before) * 1000 / result.requests)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_serving(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/minimal")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on port {port} within {timeout_s:.0f} s")


WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("MINGA %d %d %d %.3f\\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout,
    summary.duration, latency:percentile(95) / 1000))
end
"""


def measure_wrk(port: int, url: str, clients: int, duration_s: int, script: Path) -> Result:
    threads = max(1, min(4, os.cpu_count() or 1))
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{clients}",
            f"-d{duration_s}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{url}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("MINGA "))
    _, requests, errors, duration_us, p95_ms = line.split()
    return Result(url, int(requests), int(errors), int(duration_us) / 1e6, float(p95_ms), "wrk")


def measure_python(port: int, url: str, clients: int, duration_s: int) -> Result:
    """Bounded: `clients` threads for `duration_s` seconds, each sending one request at a time
    on its own connection to 127.0.0.1 only."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + duration_s

    def client() -> None:
        nonlocal errors
        mine: list[float] = []
        failed = 0
        while time.monotonic() < stop_at:
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", url)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 200:
                    failed += 1
                    continue
            except OSError:
                failed += 1
                continue
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            errors += failed

    began = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000 if latencies else float("nan")
    return Result(url, len(latencies), errors, elapsed, p95, "python")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organizations", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=int, default=10, help="seconds per URL and round")
    parser.add_argument("--rounds", type=int, default=3, help="times every URL is measured")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument("--load-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (1 <= args.organizations <= 100_000):
        parser.error("--organizations must be between 1 and 100000")
    if not (1 <= args.clients <= 500):
        parser.error("--clients must be between 1 and 500")
    if not (1 <= args.duration <= 300):
        parser.error("--duration must be between 1 and 300 seconds")
    if not (1 <= args.rounds <= 20):
        parser.error("--rounds must be between 1 and 20")
    if args.load_only is not None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
        os.environ.setdefault("MINGA_BENCH_SQLITE", str(args.load_only))
        load(args.organizations)
        return 0

    use_wrk = shutil.which("wrk") is not None and not args.python_client
    with tempfile.TemporaryDirectory(prefix="minga-bench-") as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        env = _env(db_path)
        where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else f"SQLite {db_path}"
        print(f"loading {args.organizations} organisations into {where} ...", flush=True)
        started = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--load-only",
                str(db_path),
                "--organizations",
                str(args.organizations),
            ],
            env=env,
            check=True,
        )
        print(f"loaded in {time.monotonic() - started:.1f} s", flush=True)
        load_before = os.getloadavg()
        port = _free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        server = subprocess.Popen(
            [
                str(gunicorn),
                "minga.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            _wait_until_serving(port)
            script = Path(tmp) / "p95.lua"
            script.write_text(WRK_SCRIPT, encoding="utf-8")
            # Each URL with a piece of text its answer must hold: a fast wrong page is no result.
            urls = {
                "/bench/minimal": "ok",
                "/actors/": f"{args.organizations} organizaciones encontradas",
                "/actors/?q=cooperativa+cafe&classification=cooperative": 'id="results"',
            }
            for url, expected in urls.items():
                # Warm up: every worker opens its database connection and fills its caches.
                for _ in range(args.workers * 4):
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    conn.request("GET", url)
                    response = conn.getresponse()
                    body = response.read().decode()
                    conn.close()
                    assert response.status == 200, f"{url} does not answer 200"
                    assert expected in body, f"{url} does not show {expected!r}"

            def run(url: str) -> Result:
                if use_wrk:
                    return measure_wrk(port, url, args.clients, args.duration, script)
                return measure_python(port, url, args.clients, args.duration)

            rounds: list[list[Result]] = []
            for _ in range(args.rounds):
                rounds.append([measure(partial(run, u), server.pid) for u in urls])
        finally:
            server.terminate()
            server.wait(timeout=30)

    tool = rounds[0][0].tool
    print(
        f"\n{args.organizations} organisations, {args.clients} concurrent clients, "
        f"{args.rounds} rounds of {args.duration} s per URL, gunicorn with {args.workers} sync "
        f"workers, load generator: {tool}, {os.cpu_count()} CPUs"
    )
    # The machine may be shared: its load says how far to trust the absolute figures (the
    # ratio, measured in the same run, is the one that counts).
    load_after = os.getloadavg()
    print(
        "load average (1, 5, 15 min): "
        f"before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
        f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}"
    )
    header = f"{'URL':<58} {'req/s':>9} {'p95 ms':>9} {'errors':>7} {'CPU ms/req':>11}"

    def cpu(values: list[float | None]) -> str:
        known = [v for v in values if v is not None]
        return f"{statistics.median(known):>11.2f}" if known else f"{'n/a':>11}"

    for number, measured in enumerate(rounds, start=1):
        print(f"\nround {number}\n{header}")
        for r in measured:
            print(
                f"{r.url:<58} {r.rps:>9.1f} {r.p95_ms:>9.1f} {r.errors:>7} "
                f"{cpu([r.cpu_ms_per_request])}"
            )
    print(f"\nmedian of {args.rounds} rounds\n{header}")
    for i, url in enumerate(urls):
        rps = statistics.median(m[i].rps for m in rounds)
        p95 = statistics.median(m[i].p95_ms for m in rounds)
        errors = sum(m[i].errors for m in rounds)
        cpu_ms = cpu([m[i].cpu_ms_per_request for m in rounds])
        print(f"{url:<58} {rps:>9.1f} {p95:>9.1f} {errors:>7} {cpu_ms}")
    # The minimal view is first and the directory second in every round.
    ratios = [m[1].rps / m[0].rps if m[0].rps else 0.0 for m in rounds]
    ratio = statistics.median(ratios)
    directory_errors = sum(m[1].errors for m in rounds)
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(
        f"\ndirectory / minimal view throughput: {ratio:.0%} "
        f"(rounds: {', '.join(f'{r:.0%}' for r in ratios)}; "
        f"{verdict} the target of {TARGET_RATIO:.0%})"
    )
    return 0 if ratio >= TARGET_RATIO and directory_errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
