"""Load benchmark of ``costlm web``: a bounded load against POST /api/v1/train on 127.0.0.1.

    python benchmarks/web_load.py                       # 2,000 requests, concurrency 32, 10,000 samples
    python benchmarks/web_load.py --requests 500 --concurrency 8 --workers 2

Starts uvicorn in a child process (so the load generator's threads do not share the server's
interpreter), waits for /api/v1/health, then runs two phases of the same size, each from a thread
pool of ``--concurrency`` keep-alive connections (http.client):

- ``same body``: one seeded request repeated, as a shared result URL is opened (the server's result
  cache answers after the first);
- ``distinct seeds``: every request a different seed, so every request computes 10,000 samples.

Prints requests/s, p50, p99 and the error count of each phase. Goal on a 2-core machine: zero
errors, p99 < 100 ms. Nothing here asserts: it prints.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import count

BODY = {"model": "llama-3-70b", "gpu": "h100-sxm", "n_gpus": 2048, "samples": 10_000}
START_TIMEOUT_S = 30.0
HTTP_OK = 200
PERCENT = 100


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start(port: int, workers: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "costlm.web.app:app_factory"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--workers", str(workers)]
    server = subprocess.Popen(cmd, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == HTTP_OK:
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("uvicorn did not start")


def _phase(port: int, n_requests: int, concurrency: int, *, distinct: bool) -> tuple[float, list[float], int]:
    """(wall seconds, latencies in seconds, errors) of ``n_requests`` POSTs from ``concurrency`` threads."""
    seeds = count(1)
    per_thread = [n_requests // concurrency + (i < n_requests % concurrency) for i in range(concurrency)]

    def worker(n: int) -> tuple[list[float], int]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies, errors = [], 0
        for _ in range(n):
            body = json.dumps({**BODY, "seed": next(seeds) if distinct else 0})
            start = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/train", body, {"content-type": "application/json"})
                response = conn.getresponse()
                response.read()
                errors += response.status != HTTP_OK
            except (OSError, http.client.HTTPException):
                errors += 1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            latencies.append(time.perf_counter() - start)
        return latencies, errors

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(worker, per_thread))
    wall = time.perf_counter() - start
    return wall, [x for lat, _ in results for x in lat], sum(e for _, e in results)


def _line(name: str, wall: float, latencies: list[float], errors: int) -> str:
    cuts = statistics.quantiles(latencies, n=PERCENT, method="inclusive")
    p50_ms, p99_ms = 1e3 * cuts[49], 1e3 * cuts[98]
    rate = len(latencies) / wall
    return f"{name:<16} {len(latencies):>6,} {rate:>10,.0f} {p50_ms:>9.1f} {p99_ms:>9.1f} {errors:>7}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    port = _free_port()
    server = _start(port, args.workers)
    try:
        _phase(port, 2 * args.concurrency, args.concurrency, distinct=True)  # warm up imports and caches
        print(
            f"POST /api/v1/train, {BODY['samples']:,} samples, concurrency {args.concurrency}, "
            f"{args.workers} uvicorn worker(s), {os.cpu_count()} CPUs"
        )
        print(f"{'phase':<16} {'requests':>6} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
        for name, distinct in (("same body", False), ("distinct seeds", True)):
            print(_line(name, *_phase(port, args.requests, args.concurrency, distinct=distinct)))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
