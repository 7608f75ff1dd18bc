#!/usr/bin/python3
"""Uploads of one 1,000-file build by the real sentry-cli (`sourcemaps upload --wait`) into
`artidx serve` and into /work/shared/tools/fake_sentry.py (the baseline: it stores the chunks in
memory and writes the assembled zip, indexing nothing), alternately, ROUNDS times each, each
round a new release of a fresh copy of the build. For artidx it also measures the time from
sentry-cli's first assemble request (the access log's arrival time of that request) to
`artidx lookup` finding the build's last file.

usage: upload_bench.py ARTIDX_BINARY FAKE_SENTRY_PY [ROUNDS]   (prints one JSON object)
"""

import datetime
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
import upload_test  # noqa: E402  (make_build, expected_files, sentry-cli install)

ARTIDX, FAKE = sys.argv[1], sys.argv[2]
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
FILES = 1000


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"server on {port} did not start")


def upload(port, build, release, wait, token="bench"):
    env = dict(os.environ, SENTRY_URL=f"http://127.0.0.1:{port}", SENTRY_ORG="acme",
               SENTRY_AUTH_TOKEN=token, SENTRY_LOAD_DOTENV="0")
    t = time.monotonic()
    # fake_sentry.py never answers "ok", so sentry-cli waits for it only up to "created".
    subprocess.run([upload_test.SENTRY_CLI, "sourcemaps", "upload", *(["--wait"] if wait else []),
                    "-p", "web", "--release", release, build], env=env, check=True,
                   capture_output=True)
    return time.monotonic() - t


def main():
    upload_test.ensure_sentry_cli()
    tmp = tempfile.mkdtemp(prefix="artidx-upload-bench-")
    try:
        source = upload_test.make_build(tmp, "build", FILES, 2000)
        env = dict(os.environ, SENTRY_URL="http://127.0.0.1:9", SENTRY_LOAD_DOTENV="0")
        subprocess.run([upload_test.SENTRY_CLI, "sourcemaps", "inject", source], env=env,
                       check=True, capture_output=True)
        files = upload_test.expected_files(source)
        last_url = sorted(files)[-1]
        store = os.path.join(tmp, "store")
        os.makedirs(store)
        with open(os.path.join(tmp, "tokens"), "w") as f:
            f.write("bench * write\n")
        log = open(os.path.join(tmp, "serve.log"), "wb")
        aport, fport = free_port(), free_port()
        serve = subprocess.Popen([ARTIDX, "--store", store, "serve", "--listen",
                                  f"127.0.0.1:{aport}", "--tokens", os.path.join(tmp, "tokens"),
                                  "--log-format", "json"], stderr=log)
        fake = subprocess.Popen([sys.executable, FAKE, str(fport), os.path.join(tmp, "fake")],
                                stderr=subprocess.DEVNULL)
        wait_port(aport, serve)
        wait_port(fport, fake)
        artidx_s, fake_s, visible_s = [], [], []
        for r in range(ROUNDS):
            release = f"bench@{r}"
            # Each round uploads the same files as a new release: the chunks are new to neither
            # server after the first round, as in CI re-uploading a build.
            fake_s.append(upload(fport, source, release, False))
            start_wall = time.time()
            artidx_s.append(upload(aport, source, release, True))
            # From the first assemble request of this round to lookup finding the last file.
            with open(os.path.join(tmp, "serve.log")) as f:
                assembles = [json.loads(line) for line in f if '"endpoint":"assemble"' in line]
            # The log line's time is when the request ended: its arrival is duration_ms before.
            arrivals = [datetime.datetime.fromisoformat(a["time"].replace("Z", "+00:00"))
                        .timestamp() - a["duration_ms"] / 1000 for a in assembles]
            first = min(t for t in arrivals if t >= start_wall)
            deadline = time.monotonic() + 60
            while subprocess.run([ARTIDX, "--store", store, "lookup", "--project", "web",
                                  "--release", release, "--url", last_url],
                                 capture_output=True).returncode != 0:
                if time.monotonic() > deadline:
                    raise RuntimeError("lookup never found the upload")
                time.sleep(0.01)
            visible_s.append(time.time() - first)
        serve.send_signal(signal.SIGTERM)
        fake.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
        fake.wait(timeout=60)
        print(json.dumps({
            "files": FILES, "rounds": ROUNDS,
            "artidx_upload_s": statistics.median(artidx_s),
            "fake_sentry_upload_s": statistics.median(fake_s),
            "ratio": statistics.median(artidx_s) / statistics.median(fake_s),
            "assemble_to_lookup_s": statistics.median(visible_s)}))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
