#!/usr/bin/env python3
"""Load on `kaibo serve`: N uploads at once of mails from a folder, through the REST API.

    scripts/bench_serve.py [FOLDER] [CONCURRENT] [TOTAL]
        (defaults: ../shared/corpus, 200, 2000)

Starts the release binary on a free loopback port with a fresh data dir (max_queued raised to
CONCURRENT and the per-client rate limit lifted: one client sends everything), keeps CONCURRENT
uploads in flight until TOTAL mails were posted, and reports errors, throughput, latency
percentiles and the server's peak RSS (VmHWM). Not part of the test suite; results in
docs/performance.md.
"""

import http.client
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "corpus")
concurrent = int(sys.argv[2]) if len(sys.argv) > 2 else 200
total = int(sys.argv[3]) if len(sys.argv) > 3 else 2000

subprocess.run(["cargo", "build", "--release", "-q", "-p", "kaibo"], cwd=root, check=True)
files = [os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs if not f.endswith(".tsv")]
random.Random(7).shuffle(files)
files = (files * (total // max(len(files), 1) + 1))[:total]

work = tempfile.mkdtemp(prefix="kaibo-bench-serve-")
config = os.path.join(work, "kaibo.toml")
with open(config, "w") as f:
    f.write(f"max_queued = {concurrent}\nrate_per_minute = 1000000\n")
server = subprocess.Popen(
    [os.path.join(root, "target/release/kaibo"), "serve", "--listen", "127.0.0.1:0",
     "--data-dir", os.path.join(work, "data"), "--config", config],
    stderr=subprocess.PIPE, text=True)
line = server.stderr.readline()
host, port = re.search(r"http://([0-9.]+):(\d+)", line).groups()
threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()

peak = [0]
stop = threading.Event()


def watch_rss():
    while not stop.is_set():
        try:
            with open(f"/proc/{server.pid}/status") as s:
                for l in s:
                    if l.startswith("VmHWM:"):
                        peak[0] = max(peak[0], int(l.split()[1]))
        except OSError:
            pass
        time.sleep(0.05)


threading.Thread(target=watch_rss, daemon=True).start()


def upload(path):
    with open(path, "rb") as f:
        body = f.read()
    started = time.monotonic()
    conn = http.client.HTTPConnection(host, int(port), timeout=300)
    conn.request("POST", "/api/v1/analyses?rerun=1", body, {"Content-Type": "message/rfc822"})
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status, time.monotonic() - started


started = time.monotonic()
with ThreadPoolExecutor(max_workers=concurrent) as pool:
    results = list(pool.map(upload, files))
elapsed = time.monotonic() - started
stop.set()
server.terminate()
server.wait()

statuses = {}
for status, _ in results:
    statuses[status] = statuses.get(status, 0) + 1
latencies = sorted(t for _, t in results)
pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
mb = sum(os.path.getsize(f) for f in files) / 1e6
ok = statuses.get(201, 0)
print(f"machine: {os.cpu_count()} cores; {len(files)} uploads of {mb:.1f} MB, {concurrent} in flight")
print(f"statuses: {dict(sorted(statuses.items()))} (201 created, 422 not a mail)")
print(f"{elapsed:.2f} s: {len(files) / elapsed:.0f} uploads/s, {mb / elapsed:.1f} MB/s")
print(f"latency: p50 {pct(0.50):.0f} ms, p90 {pct(0.90):.0f} ms, p99 {pct(0.99):.0f} ms, max {latencies[-1] * 1000:.0f} ms")
print(f"server peak RSS: {peak[0] / 1024:.0f} MB")
errors = sum(n for s, n in statuses.items() if s >= 500 or s in (413, 429))
sys.exit(1 if errors else 0)
