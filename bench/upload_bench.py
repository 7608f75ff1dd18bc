#!/usr/bin/python3
"""Uploads of a 1,000-file build (500 minified files and their source maps, debug ids injected by
`sentry-cli sourcemaps inject`) by the real sentry-cli 3.8.0 into `artidx serve` and into
/work/shared/tools/fake_sentry.py, the baseline, which only stores the bytes. Each round makes a
new build and uploads it to both, in alternating order, as a new release; `sentry-cli
sourcemaps upload` without --wait ends when the server has accepted the assemble ("created").

For artidx it then measures when the upload can be found: from the arrival of the assemble
request that started the assembly (the first after the round's last chunk upload, from the
server's JSON access log) to the first success of each of
  - `artidx lookup --url` of the build's last file (the store, as any other process sees it);
  - the artifact-lookup endpoint of the same server by that file's debug id (the server's own
    view of the store, refreshed at most every second);
polled alternately, every 10 ms. Beside it, the indexer's own time for the same add: `artidx
add` of the archive the baseline received (the very bytes sentry-cli uploaded) with the same
release into a scratch store that took every earlier round's add too.

Every child process has a timeout and is stopped (SIGTERM, then SIGKILL) whatever happens.

usage: upload_bench.py ARTIDX FAKE_SENTRY_PY [--rounds N] [--rows FILE]
Prints one JSON object; with --rows, writes bench/run's table rows ("<id>\\t| ... |") to FILE.
"""

import argparse
import contextlib
import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import upload_test  # noqa: E402  (make_build, expected_files, the sentry-cli install)
from serve_process import ServeProcess  # noqa: E402

FILES = 1000  # 500 .js and their .js.map
TIMEOUT = 120  # seconds for any one command
POLL = 0.010


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, **kw)


@contextlib.contextmanager
def child(cmd, **kw):
    """A child process stopped (SIGTERM, then SIGKILL) when the block ends, however it ends."""
    proc = subprocess.Popen(cmd, **kw)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def artidx_server(artidx, store, tokens):
    server = ServeProcess(artidx, store, "--log-format", "json", tokens=tokens)
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()
        server.log.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc):
    deadline = time.monotonic() + 20
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"the server on port {port} did not start")


def upload(port, build, release):
    """The wall time of `sentry-cli sourcemaps upload` (until the assemble is accepted)."""
    env = dict(os.environ, SENTRY_URL=f"http://127.0.0.1:{port}", SENTRY_ORG="acme",
               SENTRY_AUTH_TOKEN="bench", SENTRY_LOAD_DOTENV="0")
    t = time.monotonic()
    p = run([upload_test.SENTRY_CLI, "sourcemaps", "upload", "-p", "web", "--release", release,
             build], env=env)
    elapsed = time.monotonic() - t
    if p.returncode != 0:
        raise RuntimeError(f"sentry-cli upload to port {port} failed: {p.stdout[-2000:]}")
    return elapsed


def log_arrivals(server, since):
    """(arrival time, method, endpoint) of the access-log lines of requests that arrived after
    `since` (a time.time()); the logged time is the request's end, duration_ms after arrival."""
    out = []
    for line in server.read_log().splitlines():
        if not line.startswith("{"):
            continue
        a = json.loads(line)
        end = datetime.datetime.fromisoformat(a["time"].replace("Z", "+00:00")).timestamp()
        arrival = end - a["duration_ms"] / 1000
        if arrival >= since - 0.001:  # the log has millisecond resolution
            out.append((arrival, a["method"], a["endpoint"]))
    return out


def found_by_cli(artidx, store, release, url):
    return run([artidx, "--store", store, "lookup", "--project", "web", "--release", release,
                "--url", url]).returncode == 0


def found_by_endpoint(conn, debug_id):
    conn.request("GET", f"/api/0/projects/acme/web/artifact-lookup/?debug_id={debug_id}",
                 headers={"Authorization": "Bearer bench"})
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise RuntimeError(f"artifact-lookup answered {r.status}: {body[:200]!r}")
    return json.loads(body) != []


def measure(args, tmp):
    upload_test.ensure_sentry_cli()
    store, scratch = os.path.join(tmp, "store"), os.path.join(tmp, "scratch")
    os.makedirs(store)
    os.makedirs(scratch)
    tokens = os.path.join(tmp, "tokens")
    with open(tokens, "w") as f:
        f.write("bench * write\n")
    fake_dir = os.path.join(tmp, "fake")
    fport = free_port()
    rounds = []
    with artidx_server(args.artidx, store, tokens) as server, \
            child([sys.executable, args.fake, str(fport), fake_dir],
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as fake:
        wait_port(fport, fake)
        for r in range(args.rounds):
            release = f"bench@{r}"
            build = upload_test.make_build(tmp, f"build{r}", FILES // 2, 2000)
            p = run([upload_test.SENTRY_CLI, "sourcemaps", "inject", build],
                    env=dict(os.environ, SENTRY_LOAD_DOTENV="0"))
            if p.returncode != 0:
                raise RuntimeError(f"sentry-cli inject failed: {p.stdout[-2000:]}")
            files = upload_test.expected_files(build)
            assert len(files) == FILES, len(files)
            last_url = sorted(files)[-1]
            debug_id = files[last_url]

            def to_artidx():
                since = time.time()
                wall = upload(server.port, build, release)
                cli_at = endpoint_at = None
                deadline = time.monotonic() + TIMEOUT
                # A new connection: the server closes one left idle past its --timeout.
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                while cli_at is None or endpoint_at is None:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"round {r}: the upload was never found")
                    if endpoint_at is None and found_by_endpoint(conn, debug_id):
                        endpoint_at = time.time()
                    if cli_at is None and found_by_cli(args.artidx, store, release, last_url):
                        cli_at = time.time()
                    time.sleep(POLL)
                conn.close()
                log = log_arrivals(server, since)
                last_chunk = max((t for t, m, e in log if e == "chunk_upload" and m == "POST"),
                                 default=since)
                started = min(t for t, m, e in log if e == "assemble" and t >= last_chunk)
                return wall, cli_at - started, endpoint_at - started

            fake_before = set(os.listdir(fake_dir)) if os.path.isdir(fake_dir) else set()
            if r % 2 == 0:
                fake_wall = upload(fport, build, release)
                artidx_wall, cli_s, endpoint_s = to_artidx()
            else:
                artidx_wall, cli_s, endpoint_s = to_artidx()
                fake_wall = upload(fport, build, release)
            archives = [n for n in set(os.listdir(fake_dir)) - fake_before if n.endswith(".zip")]
            assert len(archives) == 1, archives
            archive = os.path.join(fake_dir, archives[0])
            t = time.monotonic()
            p = run([args.artidx, "--store", scratch, "add", archive, "--project", "web",
                     "--release", release])
            add_s = time.monotonic() - t
            if p.returncode != 0:
                raise RuntimeError(f"artidx add failed: {p.stderr[-2000:]}")
            rounds.append(dict(artidx_upload_s=artidx_wall, fake_upload_s=fake_wall,
                               cli_visible_s=cli_s, endpoint_visible_s=endpoint_s, add_s=add_s,
                               archive_bytes=os.path.getsize(archive)))
            print(json.dumps(rounds[-1]), file=sys.stderr)
    return rounds


def summary(rounds):
    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    med["cli_past_add_s"] = statistics.median(r["cli_visible_s"] - r["add_s"] for r in rounds)
    med["endpoint_past_add_s"] = statistics.median(r["endpoint_visible_s"] - r["add_s"]
                                                   for r in rounds)
    for key in ("cli", "endpoint"):
        med[f"{key}_worst_past_add_s"] = max(r[f"{key}_visible_s"] - r["add_s"] for r in rounds)
    med["rounds"] = len(rounds)
    return med


def rows(m):
    workload = (f"a 1,000-file build (500 .js + maps, {m['archive_bytes'] / 1024:.0f} KiB "
                f"bundle), median of {m['rounds']} rounds")
    ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
    out = [("95a", "upload through sentry-cli 3.8.0 (`sourcemaps upload`, until the assemble "
                   "is accepted)", workload, f"{m['artidx_upload_s']:.2f} s (artidx serve)",
            f"{m['fake_upload_s']:.2f} s (fake_sentry.py: stores the bytes)",
            f"{m['artidx_upload_s'] / m['fake_upload_s']:.2f}×", "—", "—")]
    for key, what in (("cli", "`artidx lookup` finds the files"),
                      ("endpoint", "artifact-lookup of the server finds them")):
        past = m[f"{key}_past_add_s"]
        out.append((f"95{'b' if key == 'cli' else 'c'}",
                    f"assemble request → {what}, past the indexer's add time", workload,
                    f"{ms(m[f'{key}_visible_s'])} ({ms(past)} past the add; worst round "
                    f"{ms(m[f'{key}_worst_past_add_s'])})",
                    f"{ms(m['add_s'])} (`artidx add` of the same archive)", "—",
                    "≤ 1 s past the add (median)", "met" if past <= 1.0 else "**missed**"))
    return [f"{i}\t| " + " | ".join(cells) + " |" for i, *cells in out]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("artidx")
    parser.add_argument("fake")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", help="write bench/run's table rows to this file")
    args = parser.parse_args()
    args.artidx = os.path.abspath(args.artidx)
    tmp = tempfile.mkdtemp(prefix="artidx-upload-bench-")
    try:
        m = summary(measure(args, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(m))
    if args.rows:
        with open(args.rows, "w") as f:
            f.write("\n".join(rows(m)) + "\n")


if __name__ == "__main__":
    main()
