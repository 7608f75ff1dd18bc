#!/usr/bin/python3
"""Measures `artidx serve` with wrk on loopback (bench/README.md, "HTTP server").

For each workload (W1 and S75k by default) it writes the workload's store with artidx-corpus,
starts `artidx serve --no-auth` on a free loopback port and, for artifact-lookup by debug id and
by file stem (the requests Symbolicator sends):
  - peak throughput: wrk, 2 threads, 32 keep-alive connections;
  - p50/p99 latency at about half that throughput: wrk, 64 connections paced by a per-request
    delay (wrk's own pacing; the achieved rate is reported), and http_floor's under the same
    pacing (what the machine alone adds to the tail);
  - server CPU per request at peak (utime + stime of the server process, /proc/PID/stat) against
    http_floor, a bare libmicrohttpd server configured alike answering a fixed body of the same
    mean size, measured right after in the same run (the HTTP floor). Target: <= 2x.
Rows go to bench/results.json (source "bench/serve_bench.py", replacing rows of the same
benchmark and workload; bench/run keeps them) and are
printed as markdown for bench/README.md.

usage: bench/serve_bench.py BUILD_DIR [--seconds S] [WORKLOAD...]
"""

import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LUA = os.path.join(ROOT, "bench", "wrk_paths.lua")
SUFFIXES = [".min", ".js", ".map", ".cjs", ".mjs", ".ts", ".d", ".jsx", ".tsx"]
CONNECTIONS = 32
THREADS = 2


def file_stem(url):
    path = url[1:] if url.startswith("~") else url
    if not url.startswith("~") and "://" in url:
        rest = url.split("://", 1)[1]
        path = rest[rest.find("/"):] if "/" in rest else rest
    prefix, name = path.rsplit("/", 1)
    name = name.split("?", 1)[0].split("#", 1)[0]
    while True:
        trimmed = name
        for s in SUFFIXES:
            while trimmed.endswith(s):
                trimmed = trimmed[: -len(s)]
        if trimmed == name:
            return prefix + "/" + name
        name = trimmed


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(cmd, pattern, stream):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE if stream == "stdout" else subprocess.DEVNULL,
                            stderr=subprocess.PIPE if stream == "stderr" else subprocess.DEVNULL,
                            text=True)
    pipe = proc.stdout if stream == "stdout" else proc.stderr
    line = pipe.readline()
    m = re.search(pattern, line)
    if not m:
        raise SystemExit(f"{cmd[0]} did not start: {line}")
    # The access log must not block the server: drain it.
    if stream == "stderr":
        import threading
        threading.Thread(target=lambda: [None for _ in pipe], daemon=True).start()
    return proc, int(m.group(1))


def wrk(port, paths_file, seconds, connections, delay_ms=0):
    env = dict(os.environ, ARTIDX_WRK_PATHS=paths_file, ARTIDX_WRK_DELAY_MS=str(delay_ms))
    out = subprocess.run(["wrk", "-t", str(THREADS), "-c", str(connections), "-d", f"{seconds}s",
                          "--latency", "-s", LUA, f"http://127.0.0.1:{port}"],
                         env=env, stdout=subprocess.PIPE, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit("wrk saw errors:\n" + out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label):
        m = re.search(label + r"%\s+([\d.]+)(us|ms|s)\b", out)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v

    return dict(requests=requests, rate=rate, p50=ms(" 50"), p99=ms(" 99"), text=out)


def measure(build, store, name, paths, seconds, work):
    paths_file = os.path.join(work, f"{name}.paths")
    with open(paths_file, "w") as f:
        f.write("\n".join(paths) + "\n")
    server, port = start([os.path.join(build, "artidx"), "--store", store, "serve", "--no-auth",
                          "--listen", "127.0.0.1:0", "--threads", "2"],
                         r"listening on http://127\.0\.0\.1:(\d+)", "stderr")
    try:
        # Every request answers 200 with a non-empty array; the floor answers their mean size.
        conn = http.client.HTTPConnection("127.0.0.1", port)
        sizes = []
        for p in paths:
            conn.request("GET", p)
            r = conn.getresponse()
            body = r.read()
            if r.status != 200 or not json.loads(body):
                raise SystemExit(f"{p}: {r.status} {body[:200]}")
            sizes.append(len(body))
        conn.close()
        wrk(port, paths_file, 2, CONNECTIONS)  # warm up
        cpu0 = cpu_seconds(server.pid)
        peak = wrk(port, paths_file, seconds, CONNECTIONS)
        cpu_per_request = (cpu_seconds(server.pid) - cpu0) / peak["requests"]
        # Half of peak: 64 connections, each pausing so that together they offer peak / 2.
        paced_connections = 64
        delay = max(1.0, paced_connections / (peak["rate"] / 2) * 1000 - peak["p50"])
        half = wrk(port, paths_file, seconds, paced_connections, int(round(delay)))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
    mean_size = int(sum(sizes) / len(sizes))
    floor, floor_port = start([os.path.join(build, "bench", "http_floor"), str(mean_size), "2"],
                              r"listening on (\d+)", "stdout")
    try:
        wrk(floor_port, paths_file, 2, CONNECTIONS)
        cpu0 = cpu_seconds(floor.pid)
        floor_peak = wrk(floor_port, paths_file, seconds, CONNECTIONS)
        floor_cpu = (cpu_seconds(floor.pid) - cpu0) / floor_peak["requests"]
        # The floor's latency under the same paced load: what the machine alone adds to p99.
        floor_half = wrk(floor_port, paths_file, seconds, paced_connections, int(round(delay)))
    finally:
        floor.send_signal(signal.SIGTERM)
        floor.wait()
    return dict(peak=peak, half=half, cpu=cpu_per_request, floor_cpu=floor_cpu,
                floor_rate=floor_peak["rate"], floor_half=floor_half, mean_size=mean_size)


def main():
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    build = os.path.abspath(args.pop(0))
    seconds = 10
    if args[:1] == ["--seconds"]:
        seconds = int(args[1])
        args = args[2:]
    workloads = args or ["W1", "S75k"]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for workload in workloads:
            out = os.path.join(work, workload)
            subprocess.run([os.path.join(build, "bench", "artidx-corpus"), workload, "--out", out,
                            "--bundles", "--queries", "2000"], check=True,
                           stdout=subprocess.DEVNULL)
            # A real store: every bundle added (archives, references, the release's URL index
            # and the project's debug-id index), in one `artidx add`, so at one timestamp.
            store = os.path.join(out, "store")
            artidx = os.path.join(build, "artidx")
            zips = [l.split("\t")[0] for l in open(os.path.join(out, "adds.tsv")) if l.strip()]
            subprocess.run([artidx, "--store", store, "add", *zips, "--project", "web",
                            "--release", "shop@2.4.0"], check=True, stdout=subprocess.DEVNULL)
            index = json.loads(subprocess.check_output(
                [artidx, "--store", store, "inspect", "--project", "web", "--files", "--json"]))
            debug_ids = {f["debug_id"] for ix in index["indexes"] for f in ix.get("files", [])
                         if f.get("debug_id")}
            rng = random.Random(7)
            frames = [l for l in open(os.path.join(out, "present.txt")).read().splitlines() if l]
            base = "/api/0/projects/acme/web/artifact-lookup/?"
            by_id = [base + urllib.parse.urlencode({"debug_id": d})
                     for d in rng.sample(sorted(debug_ids), min(2000, len(debug_ids)))]
            by_stem = [base + urllib.parse.urlencode({"release": "shop@2.4.0",
                                                      "url": file_stem(f)}) for f in frames]
            for kind, paths in (("debug id", by_id), ("stem", by_stem)):
                r = measure(build, store, f"{workload}-{kind.replace(' ', '')}", paths, seconds,
                            work)
                print(r["peak"]["text"], file=sys.stderr)
                what = f"artifact-lookup by {kind}"
                ratio = r["cpu"] / r["floor_cpu"]
                rows += [
                    dict(benchmark=f"serve: {what}, peak throughput (wrk, {CONNECTIONS} keep-alive "
                                   "connections, 2 server threads)",
                         workload=workload, artidx=f"{r['peak']['rate']:.0f} req/s",
                         baseline=f"{r['floor_rate']:.0f} req/s (http_floor)",
                         ratio=f"{r['peak']['rate'] / r['floor_rate']:.2f}x", target="",
                         met=None),
                    dict(benchmark=f"serve: {what}, p50 / p99 latency at half of peak",
                         workload=workload,
                         artidx=f"p50 {r['half']['p50']:.3f} ms, p99 {r['half']['p99']:.3f} ms "
                                f"at {r['half']['rate']:.0f} req/s",
                         baseline=f"http_floor paced alike: p50 {r['floor_half']['p50']:.3f} ms, "
                                  f"p99 {r['floor_half']['p99']:.3f} ms at "
                                  f"{r['floor_half']['rate']:.0f} req/s",
                         ratio=f"{r['half']['p99']:.3f} ms", target="p99 <= 2 ms",
                         met=r["half"]["p99"] <= 2.0),
                    dict(benchmark=f"serve: {what}, server CPU per request at peak",
                         workload=workload, artidx=f"{r['cpu'] * 1e6:.1f} us",
                         baseline=f"{r['floor_cpu'] * 1e6:.1f} us (http_floor, fixed "
                                  f"{r['mean_size']}-byte body)",
                         ratio=f"{ratio:.2f}x", target="<= 2x", met=ratio <= 2.0),
                ]
    results = os.path.join(ROOT, "bench", "results.json")
    existing = json.load(open(results)) if os.path.exists(results) else []
    for r in rows:
        r["source"] = "bench/serve_bench.py"
    keys = {(r["benchmark"], r["workload"]) for r in rows}
    existing = [r for r in existing if (r["benchmark"], r["workload"]) not in keys]
    with open(results, "w") as f:
        json.dump(existing + rows, f, indent=1, ensure_ascii=False)
        f.write("\n")
    for r in rows:
        met = "" if r["met"] is None else ("met" if r["met"] else "**missed**")
        print(f"| {r['benchmark']} | {r['workload']} | {r['artidx']} | {r['baseline']} | "
              f"{r['ratio']} | {r['target']} | {met} |")


if __name__ == "__main__":
    main()
