#!/usr/bin/python3
"""End-to-end tests of uploads into `artidx serve` by the real sentry-cli (npm @sentry/cli 3.8.0):
the real binary on a free loopback port, builds of generated .js/.js.map files given debug ids
by `sentry-cli sourcemaps inject`, uploaded by `sentry-cli sourcemaps upload --wait`, then found
through `artidx lookup --json` and the artifact-lookup endpoint, whose bundle downloads (whole
and ranged) are compared with the archive as stored. The expected files (URLs and debug ids)
are read from the build after injection, never from the server. The store is a local directory,
or with --backend s3 a random prefix under $ARTIDX_TEST_S3_URL (tests/stores.py; skipped without
one, unless ARTIDX_REQUIRE_S3 is set); what does not depend on the store runs on the local store
only (@local_only).

sentry-cli is installed with npm into $ARTIDX_SENTRY_CLI_HOME (default
~/.cache/artidx-sentry-cli) when absent; the test fails if it cannot be.

usage: upload_test.py ARTIDX_BINARY [--backend local|s3] [unittest args]
       upload_test.py --install-sentry-cli   (only installs it, when absent)
"""

import base64
import concurrent.futures
import gzip
import hashlib
import http.client
import io
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import zipfile

import stores
from serve_process import ServeProcess

ARTIDX = None
CLI_HOME = os.environ.get("ARTIDX_SENTRY_CLI_HOME",
                          os.path.expanduser("~/.cache/artidx-sentry-cli"))
SENTRY_CLI = os.path.join(CLI_HOME, "node_modules", ".bin", "sentry-cli")
CHUNK = 65536
TOKENS = "ci web,mobile write\nall * write\nreader web,mobile\n"


def ensure_sentry_cli():
    if os.access(SENTRY_CLI, os.X_OK):
        return
    os.makedirs(CLI_HOME, exist_ok=True)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "@sentry/cli@3.8.0"],
                   cwd=CLI_HOME, check=True)
    if not os.access(SENTRY_CLI, os.X_OK):
        raise RuntimeError(f"npm installed no {SENTRY_CLI}")


def make_build(root, name, files, padding):
    """`files` minified files with source maps, each map carrying `padding` bytes of random
    (barely compressible) source text. Returns the build directory."""
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "static"))
    rng = random.Random(name)
    for i in range(files):
        js = f"app{i}.min.js" if i % 2 else f"static/chunk{i}.js"
        src = base64.b64encode(rng.randbytes(padding * 3 // 4)).decode()
        with open(os.path.join(d, js), "w") as f:
            f.write(f"function f{i}(a){{return a+{i}}}\n//# sourceMappingURL="
                    f"{os.path.basename(js)}.map\n")
        with open(os.path.join(d, js + ".map"), "w") as f:
            json.dump({"version": 3, "file": os.path.basename(js), "sources": [f"src/m{i}.ts"],
                       "sourcesContent": [src], "names": [], "mappings": "AAAA"}, f)
    return d


def expected_files(build):
    """{url: debug_id} of the build's .js and .js.map files, as injected."""
    out = {}
    for dirpath, _, names in os.walk(build):
        for n in names:
            path = os.path.join(dirpath, n)
            url = "~/" + os.path.relpath(path, build)
            with open(path) as f:
                text = f.read()
            if n.endswith(".map"):
                m = json.loads(text)
                out[url] = m.get("debug_id") or m["debugId"]
            else:
                m = re.search(r"//# debugId=([0-9a-fA-F-]+)", text)
                out[url] = m.group(1)
    return out


class Server(ServeProcess):
    def __init__(self, store, tokens):
        super().__init__(ARTIDX, store, "--chunk-size", str(CHUNK), tokens=tokens)

    def request(self, method, path, body=None, headers=None):
        c = self.conn(timeout=60)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data


class UploadTest(stores.TestCase):
    @classmethod
    def setUpClass(cls):
        ensure_sentry_cli()
        cls.tmp = tempfile.mkdtemp(prefix="artidx-upload-test-")
        cls.store = stores.TestStore(cls.tmp, "store")
        tokens = os.path.join(cls.tmp, "tokens")
        with open(tokens, "w") as f:
            f.write(TOKENS)
        cls.server = Server(cls.store, tokens)

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        cls.store.cleanup()
        shutil.rmtree(cls.tmp)
        assert rc == 0, rc

    def sentry_cli(self, *args, token="ci"):
        env = dict(os.environ, SENTRY_URL=f"http://127.0.0.1:{self.server.port}",
                   SENTRY_ORG="acme", SENTRY_AUTH_TOKEN=token, SENTRY_LOAD_DOTENV="0")
        return subprocess.Popen([SENTRY_CLI, *args], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)

    def run_cli(self, *args, token="ci"):
        p = self.sentry_cli(*args, token=token)
        out = p.communicate(timeout=240)[0].decode(errors="replace")
        return p.returncode, out

    def inject(self, build):
        rc, out = self.run_cli("sourcemaps", "inject", build)
        self.assertEqual(rc, 0, out)
        return expected_files(build)

    def upload_args(self, build, projects, release, dist=None):
        args = ["sourcemaps", "upload", "--wait", "--release", release]
        for p in projects:
            args += ["-p", p]
        if dist:
            args += ["--dist", dist]
        return args + [build]

    def assert_found(self, files, project, release, dist=None):
        """Both the CLI and the artifact-lookup endpoint find exactly `files`, by debug id and
        by URL; the endpoint's bundle downloads, whole and ranged, as stored."""
        def lookup(*args):
            cmd = [ARTIDX, *self.store.args, "lookup", "--project", project, *args, "--json"]
            return json.loads(subprocess.run(cmd, check=True, capture_output=True).stdout)

        # The CLI's lookups run 8 at a time (on S3 each mostly waits for the object store).
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            by_url = {url: pool.submit(lookup, "--release", release, "--url", url,
                                       *(["--dist", dist] if dist else [])) for url in files}
            by_id = {url: pool.submit(lookup, "--debug-id", d) for url, d in files.items()}
        for url, debug_id in files.items():
            found = by_url[url].result()["candidates"]
            self.assertEqual([(c["url"], c["debug_id"]) for c in found], [(url, debug_id.lower())],
                             url)
            self.assertIn(url, [c["url"] for c in by_id[url].result()["candidates"]])
        ids = "&".join("debug_id=" + d for d in sorted(set(files.values())))
        # Stems as older Symbolicator releases cut them (at the name's first '.').
        stems = "&".join("url=" + urllib.parse.quote(u[1:].split(".", 1)[0]) for u in sorted(files))
        for query, how in ((ids, "debug-id"), (f"release={urllib.parse.quote(release)}&" +
                                               (f"dist={dist}&" if dist else "") + stems,
                                               "release")):
            status, body = self.server.request(
                "GET", f"/api/0/projects/acme/{project}/artifact-lookup/?{query}",
                headers={"Authorization": "Bearer reader" if project in ("web", "mobile")
                         else "Bearer all"})
            self.assertEqual(status, 200, body)
            bundles = json.loads(body)
            self.assertEqual([b["resolved_with"] for b in bundles], [how], body)
            if how == "release":
                self.assertEqual(bundles[0]["id"], found_id)
            found_id = bundles[0]["id"]
        bundle_id, sha1 = found_id.split("/")
        stored = self.store.files(f"bundles/{bundle_id}")[f"bundles/{bundle_id}/{sha1}.zip"]
        self.assertEqual(hashlib.sha1(stored).hexdigest(), sha1)
        path = bundles[0]["url"].split(f":{self.server.port}", 1)[1]
        status, data = self.server.request("GET", path, headers={"Authorization": "Bearer all"})
        self.assertEqual((status, data), (200, stored))
        n = len(data)
        status, part = self.server.request(
            "GET", path, headers={"Authorization": "Bearer all", "Range": f"bytes={n // 3}-"})
        self.assertEqual((status, part), (206, data[n // 3:]))
        zpath = os.path.join(self.tmp, "download.zip")
        with open(zpath, "wb") as f:
            f.write(data)
        with zipfile.ZipFile(zpath) as z:
            m = json.loads(z.read("manifest.json"))
        got = {f["url"]: (f.get("headers") or {}).get("debug-id") for f in m["files"].values()}
        self.assertEqual(got, {u: d.lower() for u, d in files.items()})
        return len(data)

    def test_multi_file_build_to_two_projects_with_release_and_dist(self):
        build = make_build(self.tmp, "multi", 6, 2000)
        files = self.inject(build)
        rc, out = self.run_cli(*self.upload_args(build, ["web", "mobile"], "shop@1.0", "d1"))
        self.assertEqual(rc, 0, out)
        for project in ("web", "mobile"):
            self.assert_found(files, project, "shop@1.0", "d1")

    def test_upload_larger_than_a_chunk_and_twice_unchanged(self):
        build = make_build(self.tmp, "large", 4, 100_000)
        files = self.inject(build)
        args = self.upload_args(build, ["web"], "large@1")
        rc, out = self.run_cli(*args)
        self.assertEqual(rc, 0, out)
        # The bundle spans several chunks of the server's chunk size.
        self.assertGreater(self.assert_found(files, "web", "large@1"), 3 * CHUNK)
        before = self.store.files("projects")
        rc, out = self.run_cli(*args)
        self.assertEqual(rc, 0, out)
        # missingChunks listed none: the chunks are stored once.
        self.assertIn("Nothing to upload, all files are on the server", out)
        self.assertEqual(self.store.files("projects"), before)
        self.assert_found(files, "web", "large@1")

    @stores.local_only
    def test_token_without_write_uploads_nothing(self):
        build = make_build(self.tmp, "denied", 2, 1000)
        self.inject(build)
        before = self.store.files()
        for token in ("reader", "nobody"):
            rc, out = self.run_cli(*self.upload_args(build, ["web"], "denied@1"), token=token)
            self.assertNotEqual(rc, 0, out)
        after = self.store.files()
        self.assertEqual(after, before)
        # ci may write web and mobile, not sym: refused before anything is stored.
        rc, out = self.run_cli(*self.upload_args(build, ["web", "sym"], "denied@1"))
        self.assertNotEqual(rc, 0, out)
        self.assertEqual(self.store.files(), before)

    @stores.local_only
    def test_bundle_the_indexer_refuses_fails_the_real_client_with_its_detail(self):
        # sentry-cli makes a valid bundle whose urls are over the indexer's 16 KiB limit.
        build = make_build(self.tmp, "refused", 2, 1000)
        self.inject(build)
        before = self.store.files("projects")
        args = self.upload_args(build, ["web"], "refused@1")
        rc, out = self.run_cli(*args[:-1], "--url-prefix", "~/" + "a" * 17_000, build)
        self.assertNotEqual(rc, 0, out)
        self.assertRegex(out, r"error: .*[0-9a-f]{40}: manifest entry .* over the limit of "
                              r"16384; no bundle was added")
        self.assertEqual(self.store.files("projects"), before)

    def post_chunks(self, chunks, token="ci"):
        boundary = "artidx-test-boundary"
        body = b""
        for c in chunks:
            body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file_gzip\"; "
                     f"filename=\"{hashlib.sha1(c).hexdigest()}\"\r\nContent-Type: "
                     "application/octet-stream\r\n\r\n").encode() + gzip.compress(c) + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        return self.server.request(
            "POST", "/api/0/organizations/acme/chunk-upload/", body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}",
             "Authorization": f"Bearer {token}"})

    def assemble(self, request, token="ci"):
        status, body = self.server.request(
            "POST", "/api/0/organizations/acme/artifactbundle/assemble/", json.dumps(request),
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        return status, json.loads(body)

    @stores.local_only
    def test_refused_bundle_is_an_error_with_the_indexers_detail(self):
        before = self.store.files("projects")
        data = b"this is not a zip archive\n" * 5000
        chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]
        request = {"checksum": hashlib.sha1(data).hexdigest(),
                   "chunks": [hashlib.sha1(c).hexdigest() for c in chunks],
                   "projects": ["web"], "version": "bad@1"}
        status, answer = self.assemble(request)
        self.assertEqual((status, answer["state"]), (200, "not_found"))
        self.assertEqual(answer["missingChunks"], request["chunks"])
        status, body = self.post_chunks(chunks)
        self.assertEqual(status, 200, body)
        deadline = time.monotonic() + 60
        states = []
        while True:
            status, answer = self.assemble(request)
            self.assertEqual(status, 200, answer)
            states.append(answer["state"])
            if answer["state"] in ("ok", "error") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(states[0], "created")
        self.assertEqual(answer["state"], "error", states)
        self.assertIn(request["checksum"], answer["detail"])
        self.assertEqual(self.store.files("projects"), before)
        rc = subprocess.run([ARTIDX, *self.store.args, "lookup", "--project", "web",
                             "--release", "bad@1", "--url", "~/x.js"]).returncode
        self.assertEqual(rc, 1)
        # A chunk whose bytes do not match its name is refused, and not stored.
        boundary = "b"
        body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                b"0" * 40 + b"\"\r\n\r\nhello\r\n--b--\r\n")
        status, _ = self.server.request(
            "POST", "/api/0/organizations/acme/chunk-upload/", body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}",
             "Authorization": "Bearer ci"})
        self.assertEqual(status, 400)
        self.assertFalse(self.store.exists("chunks/00/" + "0" * 40))
        for bad in (b"--b\r\nno headers", b"garbage", b"--b\r\nContent-Disposition: form-data; "
                    b"name=\"file\"; filename=\"x\"\r\n\r\nhello\r\n--b--\r\n"):
            status, _ = self.server.request(
                "POST", "/api/0/organizations/acme/chunk-upload/", bad,
                {"Content-Type": "multipart/form-data; boundary=b", "Authorization": "Bearer ci"})
            self.assertEqual(status, 400, bad)
        # More parts than the announced chunksPerRequest: refused, none stored.
        chunks = [b"part %d" % i for i in range(65)]
        body = b"".join(b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                        hashlib.sha1(c).hexdigest().encode() + b"\"\r\n\r\n" + c + b"\r\n"
                        for c in chunks) + b"--b--\r\n"
        status, _ = self.server.request(
            "POST", "/api/0/organizations/acme/chunk-upload/", body,
            {"Content-Type": "multipart/form-data; boundary=b", "Authorization": "Bearer ci"})
        self.assertEqual(status, 400)
        for c in chunks:
            h = hashlib.sha1(c).hexdigest()
            self.assertFalse(self.store.exists(f"chunks/{h[:2]}/{h}"))
        status, _ = self.post_chunks([b"x"], token="reader")
        self.assertEqual(status, 403)
        self.assertEqual(self.assemble(request, token="reader")[0], 403)
        self.assertEqual(self.assemble({"checksum": "nope"})[0], 400)

    @stores.local_only
    def test_oversize_chunks_are_refused_before_any_chunk_is_stored(self):
        small = b"a valid chunk that comes first"
        big = random.Random(1).randbytes(CHUNK + 1)
        for field, data in (("file", big), ("file_gzip", gzip.compress(b"\0" * (CHUNK + 1)))):
            name = hashlib.sha1(big if field == "file" else b"\0" * (CHUNK + 1)).hexdigest()
            body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                    hashlib.sha1(small).hexdigest().encode() + b"\"\r\n\r\n" + small +
                    b"\r\n--b\r\nContent-Disposition: form-data; name=\"" + field.encode() +
                    b"\"; filename=\"" + name.encode() + b"\"\r\n\r\n" + data + b"\r\n--b--\r\n")
            before = self.store.files()
            status, answer = self.server.request(
                "POST", "/api/0/organizations/acme/chunk-upload/", body,
                {"Content-Type": "multipart/form-data; boundary=b", "Authorization": "Bearer ci"})
            self.assertEqual(status, 413, answer)
            self.assertIn(b"chunk size 65536", answer)
            self.assertEqual(self.store.files(), before)
        # A body past the announced maxRequestSize (32 MiB) is refused whole.
        status, answer = self.server.request(
            "POST", "/api/0/organizations/acme/chunk-upload/", b"x" * (33 << 20) + b"y" * 4096,
            {"Content-Type": "multipart/form-data; boundary=b", "Authorization": "Bearer ci"})
        self.assertEqual(status, 413, answer)

    @stores.local_only
    def test_sigterm_finishes_the_assembles_queued(self):
        # A bundle as sentry-cli makes it, posted by hand to a server of its own, which is
        # sent SIGTERM right after the assemble is accepted.
        debug_id = "5b1c2a8e-2f0d-4c1e-9a3b-7d6e5f4a3b2c"
        zpath = os.path.join(self.tmp, "term.zip")
        with zipfile.ZipFile(zpath, "w") as z:
            z.writestr("manifest.json", json.dumps({"files": {"files/_/_/term.js": {
                "url": "~/term.js", "type": "minified_source",
                "headers": {"debug-id": debug_id}}}}))
            z.writestr("files/_/_/term.js", "function t(){}\n")
        with open(zpath, "rb") as f:
            data = f.read()
        store = stores.TestStore(self.tmp, "term-store")
        self.addCleanup(store.cleanup)
        tokens = os.path.join(self.tmp, "tokens")
        server, self.server = self.server, Server(store, tokens)
        try:
            self.assertEqual(self.post_chunks([data])[0], 200)
            request = {"checksum": hashlib.sha1(data).hexdigest(),
                       "chunks": [hashlib.sha1(data).hexdigest()], "projects": ["web"],
                       "version": "term@1"}
            self.assertEqual(self.assemble(request)[1]["state"], "created")
            self.assertEqual(self.server.stop(), 0)
        finally:
            self.server = server
        got = subprocess.run([ARTIDX, *store.args, "lookup", "--project", "web",
                              "--release", "term@1", "--url", "~/term.js", "--json"],
                             capture_output=True)
        self.assertEqual(got.returncode, 0, got.stderr)
        self.assertEqual([c["debug_id"] for c in json.loads(got.stdout)["candidates"]],
                         [debug_id])

    def upload_bundle(self, name, debug_id, project, release):
        """A one-file bundle (its id: debug_id) posted by hand and assembled; returns once a
        poll says "ok"."""
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("manifest.json", json.dumps({"debug_id": debug_id, "files": {
                f"files/_/_/{name}": {"url": f"~/{name}", "type": "minified_source",
                                      "headers": {"debug-id": debug_id}}}}))
            z.writestr(f"files/_/_/{name}", "function f(){}\n")
        data = buf.getvalue()
        self.assertEqual(self.post_chunks([data])[0], 200)
        request = {"checksum": hashlib.sha1(data).hexdigest(),
                   "chunks": [hashlib.sha1(data).hexdigest()], "projects": [project],
                   "version": release}
        deadline = time.monotonic() + 60
        while True:  # polled as sentry-cli --wait polls, without a pause
            status, answer = self.assemble(request)
            self.assertEqual(status, 200, answer)
            if answer["state"] in ("ok", "error"):
                break
            self.assertLess(time.monotonic(), deadline)
        self.assertEqual(answer["state"], "ok", answer)

    def artifact_lookup(self, project, query):
        status, body = self.server.request(
            "GET", f"/api/0/projects/acme/{project}/artifact-lookup/?{query}",
            headers={"Authorization": "Bearer all"})
        self.assertEqual(status, 200, body)
        return [b["id"].split("/")[0] for b in json.loads(body)]

    @stores.local_only
    def test_lookup_right_after_an_assemble_finds_its_files(self):
        # The server's Store keeps an index it listed for a second; what its own assemble
        # published is found at once. The first lookup makes the server list the index; the
        # second bundle's assemble and lookup follow within the second (on a loaded machine
        # they may not, and then this test passes without exercising the refresh).
        first = "0c3e9f14-6a2b-4d8e-9f1a-2b3c4d5e6f70"
        second = "7d1a2b3c-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
        self.upload_bundle("fresh-a.js", first, "mobile", "fresh@1")
        self.assertEqual(self.artifact_lookup("mobile", "release=fresh%401&url=fresh-a.js"),
                         [first])
        self.assertEqual(self.artifact_lookup("mobile", f"debug_id={first}"), [first])
        self.upload_bundle("fresh-b.js", second, "mobile", "fresh@1")
        self.assertEqual(self.artifact_lookup("mobile", "release=fresh%401&url=fresh-b.js"),
                         [second])
        self.assertEqual(self.artifact_lookup("mobile", f"debug_id={second}"), [second])

    @stores.local_only
    def test_eight_concurrent_uploads_of_different_and_of_the_same_bundles(self):
        builds = []
        for i in range(6):
            build = make_build(self.tmp, f"conc{i}", 3, 30_000)
            builds.append((build, self.inject(build), f"conc@{i}"))
        # The last two repeat the first two, at the same time: the same bundle, release and
        # project, uploaded twice at once.
        uploads = builds + builds[:2]
        procs = [self.sentry_cli(*self.upload_args(b, ["mobile"], r)) for b, _, r in uploads]
        for p in procs:
            out = p.communicate(timeout=240)[0].decode(errors="replace")
            self.assertEqual(p.returncode, 0, out)
        for _, files, release in builds:
            self.assert_found(files, "mobile", release)

    @stores.local_only
    def test_assembling_blocks_no_other_request(self):
        # A bundle of 20,000 files, whose add takes a while: requests sent while its assemble
        # is still "assembling" are answered.
        zpath = os.path.join(self.tmp, "slow.zip")
        with zipfile.ZipFile(zpath, "w") as z:
            files = {f"files/_/_/s{i}.js": {"url": f"~/s{i}.js", "type": "minified_source"}
                     for i in range(20_000)}
            z.writestr("manifest.json", json.dumps({"files": files}))
            for path in files:
                z.writestr(path, "x")
        with open(zpath, "rb") as f:
            data = f.read()
        chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]
        for i in range(0, len(chunks), 64):
            self.assertEqual(self.post_chunks(chunks[i:i + 64])[0], 200)
        request = {"checksum": hashlib.sha1(data).hexdigest(),
                   "chunks": [hashlib.sha1(c).hexdigest() for c in chunks],
                   "projects": ["web"], "version": "slow@1"}
        self.assertEqual(self.assemble(request)[1]["state"], "created")
        answered_while_assembling = 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status, body = self.server.request("GET", "/healthz")
            self.assertEqual((status, body), (200, b"ok\n"))
            state = self.assemble(request)[1]["state"]
            if state != "assembling":
                break
            answered_while_assembling += 1
        self.assertEqual(state, "ok")
        self.assertGreater(answered_while_assembling, 0)


@stores.local_only
class ConnectionLimitTest(stores.TestCase):
    """--max-connections bounds what clients can hold open, and so the memory of request
    bodies (each up to 33 MiB): past the bound a connection is not served until one closes."""

    def test_connections_past_the_bound_wait_for_one_to_close(self):
        tmp = tempfile.mkdtemp(prefix="artidx-conn-test-")
        store = stores.TestStore(tmp, "store")
        self.addCleanup(store.cleanup)
        server = ServeProcess(ARTIDX, store, "--max-connections", "4")
        held = []
        try:
            for _ in range(4):  # each answered, then kept open (HTTP/1.1 keep-alive)
                c = server.conn(timeout=30)
                c.request("GET", "/healthz")
                self.assertEqual(c.getresponse().read(), b"ok\n")
                held.append(c)
            probe = socket.create_connection(("127.0.0.1", server.port), timeout=2)
            probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                answer = probe.recv(100)
            except (socket.timeout, ConnectionResetError):
                answer = b""
            self.assertEqual(answer, b"")  # left waiting (or closed)
            probe.close()
            held.pop().close()
            deadline = time.monotonic() + 30
            while True:  # the freed slot is taken again
                try:
                    c = server.conn(timeout=5)
                    c.request("GET", "/healthz")
                    self.assertEqual(c.getresponse().read(), b"ok\n")
                    c.close()
                    break
                except (OSError, http.client.HTTPException):
                    self.assertLess(time.monotonic(), deadline)
        finally:
            for c in held:
                c.close()
            self.assertEqual(server.stop(), 0)
            shutil.rmtree(tmp)


@stores.local_only
class UploadBudgetTest(stores.TestCase):
    """--max-upload-buffer bounds the bytes of upload bodies held over all connections: a body
    past it is answered 503 (which sentry-cli retries) and nothing of it is stored."""

    BUDGET = 34603008  # the least allowed: one body of the largest size (33 MiB)

    @staticmethod
    def multipart(seed, size):
        """A chunk-upload body of about `size` bytes of valid raw chunks, and their names."""
        rng = random.Random(seed)
        chunks = [rng.randbytes(4 << 20) for _ in range(size // (4 << 20))]
        names = [hashlib.sha1(c).hexdigest() for c in chunks]
        body = b"".join(b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                        n.encode() + b"\"\r\n\r\n" + c + b"\r\n" for n, c in zip(names, chunks))
        return body + b"--b--\r\n", names

    def stored(self, names):
        return [self.store.exists(f"chunks/{n[:2]}/{n}") for n in names]

    def post(self, body, chunked=False):
        c = self.server.conn(timeout=60)
        headers = {"Content-Type": "multipart/form-data; boundary=b"}
        if chunked:  # no Content-Length: budgeted as it arrives
            c.request("POST", "/api/0/organizations/acme/chunk-upload/",
                      body=(body[i:i + 65536] for i in range(0, len(body), 65536)),
                      headers=headers, encode_chunked=True)
        else:
            c.request("POST", "/api/0/organizations/acme/chunk-upload/", body=body,
                      headers=headers)
        r = c.getresponse()
        answer = (r.status, r.getheader("Retry-After"), r.read())
        c.close()
        return answer

    def test_bodies_past_the_budget_are_refused_with_503_and_not_stored(self):
        tmp = tempfile.mkdtemp(prefix="artidx-budget-test-")
        self.store = stores.TestStore(tmp, "store")
        self.addCleanup(self.store.cleanup)
        self.server = ServeProcess(ARTIDX, self.store, "--chunk-size", str(8 << 20),
                                   "--max-upload-buffer", str(self.BUDGET))
        held = None
        try:
            held_body, held_names = self.multipart(1, 20 << 20)
            other_body, other_names = self.multipart(2, 20 << 20)
            # A request whose headers were read holds its announced 20 MiB: the server says
            # "100 Continue" once it has read them (and budgeted the body).
            held = socket.create_connection(("127.0.0.1", self.server.port), timeout=60)
            held.sendall(b"POST /api/0/organizations/acme/chunk-upload/ HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: " +
                         str(len(held_body)).encode() + b"\r\nExpect: 100-continue\r\n\r\n")
            reply = b""
            while b"\r\n\r\n" not in reply:
                reply += held.recv(4096)
            self.assertTrue(reply.startswith(b"HTTP/1.1 100"), reply)
            held.sendall(held_body[:1 << 20])
            # Until it is answered, 20 MiB more do not fit: with or without Content-Length.
            for chunked in (False, True):
                status, retry_after, answer = self.post(other_body, chunked=chunked)
                self.assertEqual((status, retry_after), (503, "1"), answer)
                self.assertIn(b"--max-upload-buffer", answer)
                self.assertEqual(self.stored(other_names), [False] * len(other_names))
            held.sendall(held_body[1 << 20:])
            reply = reply.split(b"\r\n\r\n", 1)[1]
            while b"\r\n\r\n" not in reply:
                reply += held.recv(4096)
            self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply)
            held.close()
            held = None
            self.assertEqual(self.stored(held_names), [True] * len(held_names))
            # Its bytes were given back: the other body fits now.
            self.assertEqual(self.post(other_body)[0], 200)
            self.assertEqual(self.stored(other_names), [True] * len(other_names))
        finally:
            if held is not None:
                held.close()
            self.assertEqual(self.server.stop(), 0)
            shutil.rmtree(tmp)


if __name__ == "__main__":
    if sys.argv[1:] == ["--install-sentry-cli"]:
        ensure_sentry_cli()
        sys.exit(0)
    stores.backend_from_argv(sys.argv)
    ARTIDX = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:])
