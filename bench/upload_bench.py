#!/usr/bin/python3
"""Uploads of one 1,000-file build by the real sentry-cli (`sourcemaps upload`) into
`artidx serve` and into /work/shared/tools/fake_sentry.py (the baseline: it stores the chunks in
memory and writes the assembled zip, indexing nothing), alternately, ROUNDS times each, each
round a new release of the build. Both uploads end when the server has accepted the assemble
(`created`). For artidx it also measures, while `artidx lookup` polls every few milliseconds,
the time from the assemble request that started the assembly (the first of the round after its
last chunk upload, by the access log's arrival time) to lookup finding the build's last file,
and beside it the indexer's own time for that add: `artidx add` of the same archive (the one
fake_sentry.py wrote) into a scratch store.

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


def upload(port, build, release):
    """The wall time of one `sentry-cli sourcemaps upload` (until the assemble is `created`)."""
    env = dict(os.environ, SENTRY_URL=f"http://127.0.0.1:{port}", SENTRY_ORG="acme",
               SENTRY_AUTH_TOKEN="bench", SENTRY_LOAD_DOTENV="0")
    t = time.monotonic()
    subprocess.run([upload_test.SENTRY_CLI, "sourcemaps", "upload", "-p", "web", "--release",
                    release, build], env=env, check=True, capture_output=True)
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
        artidx_s, fake_s, visible_s, add_s = [], [], [], []
        for r in range(ROUNDS):
            release = f"bench@{r}"
            # Each round uploads the same files as a new release: the chunks are new to neither
            # server after the first round, as in CI re-uploading a build.
            fake_s.append(upload(fport, source, release))
            start_wall = time.time()
            t = time.monotonic()
            cli = subprocess.Popen(
                [upload_test.SENTRY_CLI, "sourcemaps", "upload", "-p", "web", "--release",
                 release, source], env=dict(os.environ, SENTRY_URL=f"http://127.0.0.1:{aport}",
                                            SENTRY_ORG="acme", SENTRY_AUTH_TOKEN="bench",
                                            SENTRY_LOAD_DOTENV="0"),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while subprocess.run([ARTIDX, "--store", store, "lookup", "--project", "web",
                                  "--release", release, "--url", last_url],
                                 capture_output=True).returncode != 0:
                if time.monotonic() > deadline:
                    raise RuntimeError("lookup never found the upload")
                time.sleep(0.005)
            found_wall = time.time()
            if cli.wait(timeout=60) != 0:
                raise RuntimeError("sentry-cli failed")
            artidx_s.append(time.monotonic() - t)
            with open(os.path.join(tmp, "serve.log")) as f:
                lines = [json.loads(line) for line in f]
            # The log line's time is when the request ended: its arrival is duration_ms before.
            def arrival(a):
                return (datetime.datetime.fromisoformat(a["time"].replace("Z", "+00:00"))
                        .timestamp() - a["duration_ms"] / 1000)
            round_lines = [a for a in lines if arrival(a) >= start_wall]
            last_chunk = max([arrival(a) for a in round_lines
                              if a["endpoint"] == "chunk_upload" and a["method"] == "POST"],
                             default=start_wall)
            started = min(arrival(a) for a in round_lines
                          if a["endpoint"] == "assemble" and arrival(a) >= last_chunk)
            visible_s.append(found_wall - started)
            # The indexer alone: the same archive added with the same options to a scratch store.
            archive = [os.path.join(tmp, "fake", n) for n in os.listdir(os.path.join(tmp, "fake"))
                       if n.endswith(".zip")][0]
            scratch = os.path.join(tmp, f"scratch{r}")
            t = time.monotonic()
            subprocess.run([ARTIDX, "--store", scratch, "add", archive, "--project", "web",
                            "--release", release], check=True, capture_output=True)
            add_s.append(time.monotonic() - t)
        serve.send_signal(signal.SIGTERM)
        fake.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
        fake.wait(timeout=60)
        print(json.dumps({
            "files": FILES, "rounds": ROUNDS,
            "artidx_upload_s": statistics.median(artidx_s),
            "fake_sentry_upload_s": statistics.median(fake_s),
            "ratio": statistics.median(artidx_s) / statistics.median(fake_s),
            "assemble_to_lookup_s": statistics.median(visible_s),
            "add_s": statistics.median(add_s),
            "past_add_s": statistics.median(v - a for v, a in zip(visible_s, add_s))}))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
