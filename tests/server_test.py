#!/usr/bin/python3
"""End-to-end tests of `artidx serve`: the real binary on a free loopback port, a real HTTP
client (http.client and raw sockets), a store made by `artidx add` from the real uploads in
../shared/fixtures: a local directory, or with --backend s3 a random prefix under
$ARTIDX_TEST_S3_URL (tests/stores.py; skipped without one, unless ARTIDX_REQUIRE_S3 is set).
What does not depend on the store (request parsing, auth, flags, logs, signals, load) runs on
the local store only (@local_only).

The expected answers are computed here from the bundles' own manifests by the rules of
/work/shared/reference/artifact-bundles.md section 6 (Sentry's artifact-lookup: debug ids of the
project, case-insensitive substring match of Symbolicator's file stems in the release's files),
never read from the server. One file, over 600 lines: every case runs against the one server
and store that setUpClass starts.

usage: server_test.py ARTIDX_BINARY FIXTURES_DIR [--backend local|s3] [unittest args]
"""

import hashlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import zipfile

import stores
from serve_process import ServeProcess

ARTIDX = None
FIXTURES = None

RELEASE = "shop@2.4.0"
# (fixture, projects, release, dist, timestamp): as each *.request.json says, plus
# Symbolicator's bundles with identical URLs in a release of their own.
UPLOADS = [
    ("sentry-cli/rxjs-cjs.zip", ["web"], RELEASE, "", 1000),
    ("sentry-cli/rxjs-cjs-rebuilt.zip", ["web"], RELEASE, "", 2000),
    ("sentry-cli/preact-web.zip", ["web", "mobile"], RELEASE, "web", 3000),
    ("sentry-cli/preact-nightly.zip", ["web"], "", "", 4000),
    ("symbolicator/sorted_bundles_01_wrong.zip", ["sym"], "r1", "", 500),
    ("symbolicator/sorted_bundles_02_correct.zip", ["sym"], "r1", "", 600),
    ("symbolicator/e2e_node_debugid_bundle.zip", ["sym"], "r1", "", 700),
]
TOKENS = "# who may read what\ntok-web web\n\ntok-mobile mobile,sym\ntok-all *\n"

SUFFIXES = [".min", ".js", ".map", ".cjs", ".mjs", ".ts", ".d", ".jsx", ".tsx"]


def strip_hostname(path):
    if path.startswith("~"):
        return path[1:]
    if "://" in path:
        rest = path.split("://", 1)[1]
        i = rest.find("/")
        return rest[i:] if i >= 0 else rest
    return path


def file_stem(abs_path):
    """Current Symbolicator's extract_file_stem."""
    path = strip_hostname(abs_path)
    if "/" not in path:
        return path
    prefix, name = path.rsplit("/", 1)
    name = name.split("?", 1)[0].split("#", 1)[0]
    while True:
        trimmed = name
        for s in SUFFIXES:
            while trimmed.endswith(s):
                trimmed = trimmed[: -len(s)]
        if trimmed == name:
            break
        name = trimmed
    return prefix + "/" + name


def old_file_stem(abs_path):
    """Older Symbolicator releases: the last component cut at its first '.'."""
    path = strip_hostname(abs_path)
    if "/" not in path:
        return path
    prefix, name = path.rsplit("/", 1)
    return prefix + "/" + name.split("?", 1)[0].split("#", 1)[0].split(".", 1)[0]


def manifest(path):
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("manifest.json"))


def canonical_debug_id(text):
    return text.strip().lower()


def sha1_file(path):
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()


class Server(ServeProcess):
    def __init__(self, store, *args, tokens=None):
        super().__init__(ARTIDX, store, *args, tokens=tokens)

    def request(self, target, token=None, method="GET", headers=None, conn=None):
        c = conn or self.conn()
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        c.request(method, target, headers=h)
        r = c.getresponse()
        body = r.read()
        if conn is None:
            c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def lookup_target(project, params):
    return f"/api/0/projects/acme/{project}/artifact-lookup/?" + urllib.parse.urlencode(params)


class ServeTest(stores.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.store = stores.TestStore(cls.tmp.name, "store")
        cls.bundles = []  # dicts: fixture, bundle_id, sha1, timestamp, projects, release, dist, files
        # Added at once (adds commute; on S3 each add mostly waits for the object store).
        adds = []
        for fixture, projects, release, dist, ts in UPLOADS:
            path = os.path.join(FIXTURES, fixture)
            cmd = [ARTIDX, *cls.store.args, "add", path, "--timestamp", str(ts), "--json"]
            for p in projects:
                cmd += ["--project", p]
            if release:
                cmd += ["--release", release]
            if dist:
                cmd += ["--dist", dist]
            adds.append(subprocess.Popen(cmd, stdout=subprocess.PIPE))
        for (fixture, projects, release, dist, ts), add in zip(UPLOADS, adds):
            out = add.communicate(timeout=240)[0]
            assert add.returncode == 0, (fixture, add.returncode)
            added = json.loads(out)["added"][0]
            path = os.path.join(FIXTURES, fixture)
            files = manifest(path)["files"]
            cls.bundles.append(dict(
                fixture=fixture, path=path, bundle_id=added["bundle_id"],
                sha1=added["archive_sha1"], timestamp=ts, projects=projects, release=release,
                dist=dist,
                urls=[f.get("url", "") for f in files.values()],
                debug_ids={canonical_debug_id(v) for f in files.values()
                           for k, v in f.get("headers", {}).items() if k.lower() == "debug-id"}))
        cls.tokens = os.path.join(cls.tmp.name, "tokens")
        with open(cls.tokens, "w") as f:
            f.write(TOKENS)
        cls.server = Server(cls.store, tokens=cls.tokens)

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.store.cleanup()
        cls.tmp.cleanup()
        assert code == 0, code

    # --- the reference rules ------------------------------------------------------------------

    def expected(self, project, debug_ids=(), stems=(), release=None, dist=""):
        found = {}
        for b in self.bundles:
            if project not in b["projects"]:
                continue
            if {canonical_debug_id(d) for d in debug_ids} & b["debug_ids"]:
                found.setdefault(b["bundle_id"], (b, "debug-id"))
        for b in self.bundles:
            if project not in b["projects"] or not release:
                continue
            if b["release"] != release or b["dist"] != dist:
                continue
            if any(s.lower() in u.lower() for s in stems for u in b["urls"]):
                found.setdefault(b["bundle_id"], (b, "release"))
        order = sorted(found.values(), key=lambda x: (x[0]["timestamp"], x[0]["bundle_id"]),
                       reverse=True)
        return [(b["bundle_id"], b["sha1"], how) for b, how in order]

    def check_schema(self, body, target):
        """Symbolicator's schema of an artifact-lookup answer, and our promises on it."""
        answer = json.loads(body)
        self.assertIsInstance(answer, list)
        base = f"http://127.0.0.1:{self.server.port}" + target.split("?", 1)[0]
        for e in answer:
            self.assertIsInstance(e, dict)
            self.assertEqual(set(e), {"id", "type", "url", "resolved_with"})
            self.assertEqual(e["type"], "bundle")
            self.assertIsInstance(e["id"], str)
            self.assertIn(e["resolved_with"], ("debug-id", "release"))
            # Under the lookup URL, so that Symbolicator sends its token along.
            self.assertTrue(e["url"].startswith(base + "?download="), e["url"])
            self.assertEqual(urllib.parse.parse_qs(urllib.parse.urlsplit(e["url"]).query),
                             {"download": [e["id"]]})
        return answer

    def lookup(self, project, params, token="tok-all"):
        target = lookup_target(project, params)
        status, headers, body = self.server.request(target, token)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["content-type"], "application/json")
        return self.check_schema(body, target)

    def assert_answer(self, answer, expected):
        got = [(e["id"], e["resolved_with"]) for e in answer]
        want = [(f"{bid}/{sha1}", how) for bid, sha1, how in expected]
        self.assertEqual(got, want)

    # --- artifact-lookup ----------------------------------------------------------------------

    def frames(self, bundle_fixture, count=6):
        """Frame abs_paths for some files of a bundle, as a browser reports them."""
        b = next(b for b in self.bundles if b["fixture"] == bundle_fixture)
        out = []
        for u in sorted(u for u in b["urls"] if u and not u.endswith(".map"))[:count]:
            out.append(("https://cdn.example.org" + u[1:] + "?v=3#frag") if u.startswith("~")
                       else u)
        return out

    def test_symbolicator_request_debug_ids_and_stems(self):
        # One request for an event: release, a url (stem) per frame, dist, every debug id.
        frames = self.frames("sentry-cli/rxjs-cjs.zip") + self.frames("sentry-cli/preact-web.zip")
        stems = sorted({file_stem(f) for f in frames})
        # Debug ids of the release-less nightly and of the older rxjs build: the newer build is
        # then found by its stems only.
        by_fixture = {b["fixture"]: b for b in self.bundles}
        nightly_only = (by_fixture["sentry-cli/preact-nightly.zip"]["debug_ids"] -
                        by_fixture["sentry-cli/preact-web.zip"]["debug_ids"])
        old_only = (by_fixture["sentry-cli/rxjs-cjs.zip"]["debug_ids"] -
                    by_fixture["sentry-cli/rxjs-cjs-rebuilt.zip"]["debug_ids"])
        debug_ids = sorted(nightly_only)[:1] + sorted(old_only)[:1]
        for dist in ("", "web"):
            params = [("release", RELEASE)] + [("url", s) for s in stems]
            if dist:
                params.append(("dist", dist))
            params += [("debug_id", d.upper()) for d in debug_ids]  # any case
            answer = self.lookup("web", params)
            expected = self.expected("web", debug_ids, stems, RELEASE, dist)
            self.assertTrue(any(h == "release" for _, _, h in expected))
            self.assertTrue(any(h == "debug-id" for _, _, h in expected))
            self.assert_answer(answer, expected)

    def test_old_and_new_stems(self):
        for fixture, release, project in (("sentry-cli/rxjs-cjs-rebuilt.zip", RELEASE, "web"),
                                          ("symbolicator/sorted_bundles_02_correct.zip", "r1",
                                           "sym")):
            for frame in self.frames(fixture, 4):
                for stem in (file_stem(frame), old_file_stem(frame), file_stem(frame).upper()):
                    with self.subTest(frame=frame, stem=stem):
                        answer = self.lookup(project, [("release", release), ("url", stem)])
                        expected = self.expected(project, (), [stem], release)
                        self.assertTrue(expected)
                        self.assert_answer(answer, expected)

    def test_debug_ids_only_and_both_ways(self):
        for b in self.bundles:
            for d in sorted(b["debug_ids"])[:2]:
                for project in b["projects"]:
                    answer = self.lookup(project, [("debug_id", d)])
                    self.assert_answer(answer, self.expected(project, [d]))
        # A bundle found by debug id and by stem is listed once, as found by debug id.
        b = next(b for b in self.bundles if b["fixture"] == "sentry-cli/preact-web.zip")
        stem = file_stem(self.frames(b["fixture"], 1)[0])
        answer = self.lookup("web", [("release", RELEASE), ("dist", "web"), ("url", stem),
                                     ("debug_id", sorted(b["debug_ids"])[0])])
        ids = [e["id"] for e in answer]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(answer[0]["resolved_with"], "debug-id")

    def test_unknown_project_release_or_nothing_asked_is_an_empty_array(self):
        self.assertEqual(self.lookup("nothing-here", [("debug_id", sorted(
            self.bundles[0]["debug_ids"])[0])]), [])
        self.assertEqual(self.lookup("web", [("release", "no-such"), ("url", "/index")]), [])
        self.assertEqual(self.lookup("web", [("release", RELEASE), ("url", "/no/such/file")]), [])
        self.assertEqual(self.lookup("web", []), [])
        # A stem without a release is not a query (Symbolicator never sends one).
        self.assertEqual(self.lookup("web", [("url", "/static")]), [])

    @stores.local_only
    def test_malformed_parameters_are_400_with_a_json_error(self):
        for target in (
                lookup_target("web", [("debug_id", "not-a-debug-id")]),
                lookup_target("web", [("release", RELEASE), ("release", "x"), ("url", "/a")]),
                lookup_target("web", [("release", RELEASE), ("url", "")]),
                lookup_target("web", [("release", "bad\x01release"), ("url", "/a")]),
                "/api/0/projects/acme/web/artifact-lookup/?url=%zz",
                "/api/0/projects/acme/web/artifact-lookup/?url=%C0%80",
                "/api/0/projects/acme/bad%20project/artifact-lookup/",
                lookup_target("web", [("download", "no-slash")]),
                lookup_target("web", [("download", "b/not-hex")]),
                "/v1/lookup?project=web&url=~/a.js",
                "/v1/lookup?project=web&debug_id=x",
                "/v1/lookup?release=r&url=/a"):
            with self.subTest(target=target):
                status, headers, body = self.server.request(target, "tok-all")
                self.assertEqual(status, 400, body)
                self.assertEqual(headers["content-type"], "application/json")
                self.assertIsInstance(json.loads(body)["detail"], str)

    # --- downloads ----------------------------------------------------------------------------

    def test_download_bytes_head_range_etag(self):
        answer = self.lookup("web", [("release", RELEASE), ("url", "/static")])
        self.assertTrue(answer)
        for e in answer:
            url = urllib.parse.urlsplit(e["url"])
            target = url.path + "?" + url.query
            b = next(b for b in self.bundles if e["id"] == f"{b['bundle_id']}/{b['sha1']}")
            with open(b["path"], "rb") as f:
                data = f.read()
            status, headers, body = self.server.request(target, "tok-web")
            self.assertEqual((status, body), (200, data))
            self.assertEqual(headers["content-type"], "application/octet-stream")
            self.assertEqual(headers["etag"], f'"{hashlib.sha1(data).hexdigest()}"')
            status, headers, body = self.server.request(target, "tok-web", method="HEAD")
            self.assertEqual((status, body, int(headers["content-length"])), (200, b"", len(data)))
            n = len(data)
            for rng, first, last in (("bytes=10-19", 10, 19), ("bytes=-7", n - 7, n - 1),
                                     (f"bytes={n - 3}-", n - 3, n - 1),
                                     ("bytes=0-99999999999", 0, n - 1)):
                status, headers, body = self.server.request(target, "tok-web",
                                                            headers={"Range": rng})
                self.assertEqual((status, body), (206, data[first:last + 1]), rng)
                self.assertEqual(headers["content-range"], f"bytes {first}-{last}/{n}")
            status, headers, _ = self.server.request(target, "tok-web",
                                                     headers={"Range": f"bytes={len(data)}-"})
            self.assertEqual((status, headers["content-range"]), (416, f"bytes */{len(data)}"))
            status, _, body = self.server.request(
                target, "tok-web", headers={"If-None-Match": f'"{hashlib.sha1(data).hexdigest()}"'})
            self.assertEqual((status, body), (304, b""))
        # An archive the project has no reference to is not found, whatever the token.
        other = next(b for b in self.bundles if "web" not in b["projects"])
        status, _, _ = self.server.request(
            lookup_target("web", [("download", f"{other['bundle_id']}/{other['sha1']}")]),
            "tok-all")
        self.assertEqual(status, 404)
        status, _, _ = self.server.request(
            lookup_target("web", [("download", f"{other['bundle_id']}/{'0' * 40}")]), "tok-all")
        self.assertEqual(status, 404)

    def add_own_bundle(self, project, debug_id):
        """A one-file bundle of its own in `project`, added and found by the server: its download
        target, bytes, bundle id and archive SHA-1."""
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("manifest.json", json.dumps({"files": {f"files/_/_/{project}.js": {
                "url": f"~/{project}.js", "type": "minified_source",
                "headers": {"debug-id": debug_id}}}}))
            z.writestr(f"files/_/_/{project}.js", f"function {project}(){{}}\n")
        path = os.path.join(self.tmp.name, project + ".zip")
        with open(path, "wb") as f:
            f.write(buf.getvalue())
        subprocess.check_output([ARTIDX, *self.store.args, "add", path, "--project", project])
        answer = self.lookup(project, [("debug_id", debug_id)])
        self.assertEqual(len(answer), 1, answer)
        url = urllib.parse.urlsplit(answer[0]["url"])
        bundle_id, sha1 = answer[0]["id"].split("/")
        return url.path + "?" + url.query, buf.getvalue(), bundle_id, sha1

    def test_download_of_an_archive_gone_from_the_store_is_404(self):
        # Downloaded once (on S3 the server then holds a copy in its cache), then its archive
        # deleted from the store under the server.
        target, data, bundle_id, sha1 = self.add_own_bundle(
            "gone", "9e4f0c2a-1b3d-4e5f-8a6b-7c8d9e0f1a2b")
        status, _, body = self.server.request(target, "tok-all")
        self.assertEqual((status, body), (200, data))
        self.store.delete(f"bundles/{bundle_id}/{sha1}.zip")
        for method, headers in (("GET", {}), ("HEAD", {}), ("GET", {"Range": "bytes=0-9"})):
            with self.subTest(method=method, headers=headers):
                status, _, body = self.server.request(target, "tok-all", method=method,
                                                      headers=headers)
                self.assertEqual(status, 404, body)
                if method == "GET":
                    self.assertIn(sha1, json.loads(body)["detail"])

    def test_download_of_an_archive_that_cannot_be_read_is_500_saying_why(self):
        if stores.BACKEND != "local":
            self.skipTest("a directory in an archive's place is made in a local store only")
        target, _, bundle_id, sha1 = self.add_own_bundle(
            "unreadable", "0b5e1d3c-2a4f-4b6e-9c8d-7e6f5a4b3c2d")
        path = os.path.join(self.store.location, "bundles", bundle_id, sha1 + ".zip")
        os.remove(path)
        os.mkdir(path)
        status, _, body = self.server.request(target, "tok-all")
        self.assertEqual(status, 500, body)
        self.assertRegex(json.loads(body)["detail"],
                         f"^cannot open the archive of {bundle_id}/{sha1}: .*{sha1}.zip: ")

    # --- /v1 ----------------------------------------------------------------------------------

    def cli(self, *args):
        r = subprocess.run([ARTIDX, *self.store.args, *args], stdout=subprocess.PIPE)
        return r.stdout

    def test_v1_lookup_answers_as_the_cli(self):
        b = next(b for b in self.bundles if b["fixture"] == "sentry-cli/rxjs-cjs.zip")
        url = sorted(u for u in b["urls"] if u)[0]
        d = sorted(b["debug_ids"])[0]
        for params, args in (
                ([("release", RELEASE), ("url", url)], ["--release", RELEASE, "--url", url]),
                ([("release", RELEASE), ("url", "https://x.org" + url[1:] + "?q=1")],
                 ["--release", RELEASE, "--url", "https://x.org" + url[1:] + "?q=1"]),
                ([("debug_id", d)], ["--debug-id", d]),
                ([("debug_id", d), ("type", "source_map")],
                 ["--debug-id", d, "--type", "source_map"]),
                ([("release", "none"), ("url", url)], ["--release", "none", "--url", url])):
            with self.subTest(args=args):
                target = "/v1/lookup?" + urllib.parse.urlencode([("project", "web")] + params)
                status, _, body = self.server.request(target, "tok-web")
                self.assertEqual(status, 200)
                self.assertEqual(json.loads(body),
                                 json.loads(self.cli("lookup", "--project", "web", *args,
                                                     "--json")))
        status, _, body = self.server.request(
            "/v1/lookup?" + urllib.parse.urlencode([("project", "web"), ("release", RELEASE),
                                                    ("stem", "/STATIC/rx/ajax/index")]),
            "tok-web")
        self.assertEqual(status, 200)
        found = json.loads(body)["candidates"]
        self.assertTrue(found)
        self.assertTrue(all("/static/rx/ajax/index" in c["url"].lower() for c in found))

    def test_v1_file_serves_what_cat_writes(self):
        b = next(b for b in self.bundles if b["fixture"] == "sentry-cli/rxjs-cjs-rebuilt.zip")
        for url in sorted(u for u in b["urls"] if u and not u.endswith(".map"))[:3]:
            for sourcemap in (False, True):
                params = [("project", "web"), ("release", RELEASE), ("url", url)]
                args = ["--project", "web", "--release", RELEASE, "--url", url]
                if sourcemap:
                    params.append(("sourcemap", "1"))
                    args.append("--sourcemap")
                status, headers, body = self.server.request(
                    "/v1/file?" + urllib.parse.urlencode(params), "tok-web")
                self.assertEqual(status, 200)
                self.assertEqual(body, self.cli("cat", *args))
                self.assertGreater(len(body), 0)
        status, _, _ = self.server.request(
            "/v1/file?project=web&release=shop%402.4.0&url=~/nothing.js", "tok-web")
        self.assertEqual(status, 404)

    # --- auth ---------------------------------------------------------------------------------

    @stores.local_only
    def test_auth(self):
        target = lookup_target("web", [("debug_id", sorted(self.bundles[0]["debug_ids"])[0])])
        for headers, want in (({}, 401), ({"Authorization": "Bearer nope"}, 401),
                              ({"Authorization": "Basic dG9rLXdlYjo="}, 401),
                              ({"Authorization": "Bearer tok-web-"}, 401),
                              ({"Authorization": "Bearer tok-we"}, 401),
                              ({"Authorization": "Bearer tok-mobile"}, 403),
                              ({"Authorization": "Bearer tok-web"}, 200),
                              ({"Authorization": "bearer tok-web"}, 200),
                              ({"Authorization": "Bearer tok-all"}, 200)):
            with self.subTest(headers=headers):
                status, h, body = self.server.request(target, headers=headers)
                self.assertEqual(status, want, body)
                if want == 401:
                    self.assertEqual(h["www-authenticate"], "Bearer")
                if want != 200:
                    json.loads(body)["detail"]
        for target in ("/v1/lookup?project=web&debug_id=" + "0" * 32, "/v1/file?project=sym"):
            self.assertEqual(self.server.request(target)[0], 401)
            self.assertEqual(self.server.request(target, "tok-mobile")[0],
                             403 if "web" in target else 400)
        self.assertEqual(self.server.request("/healthz")[:3:2], (200, b"ok\n"))
        # Tokens never reach the log.
        self.assertNotIn("tok-web", self.server.read_log())

    @stores.local_only
    def test_sighup_reloads_tokens(self):
        tokens = os.path.join(self.tmp.name, "tokens-reload")
        with open(tokens, "w") as f:
            f.write("old-token web\n")
        server = Server(self.store, tokens=tokens)
        try:
            self.assertEqual(server.request("/v1/lookup?project=web&stem=/a&release=r",
                                            "old-token")[0], 200)
            with open(tokens, "w") as f:
                f.write("new-token web\n")
            server.proc.send_signal(signal.SIGHUP)
            self.assertTrue(server.wait_log("reloaded"))
            self.assertEqual(server.request("/v1/lookup?project=web&stem=/a&release=r",
                                            "old-token")[0], 401)
            self.assertEqual(server.request("/v1/lookup?project=web&stem=/a&release=r",
                                            "new-token")[0], 200)
            # A broken file keeps the tokens loaded before.
            with open(tokens, "w") as f:
                f.write("lonely-token\n")
            server.proc.send_signal(signal.SIGHUP)
            self.assertTrue(server.wait_log("keeping the tokens"))
            self.assertEqual(server.request("/v1/lookup?project=web&stem=/a&release=r",
                                            "new-token")[0], 200)
        finally:
            self.assertEqual(server.stop(), 0)

    @stores.local_only
    def test_start_up_errors(self):
        for args in (["--listen", "0.0.0.0:0", "--no-auth"],  # no auth only on loopback
                     ["--listen", "127.0.0.1:0"],  # neither tokens nor --no-auth
                     ["--listen", "127.0.0.1:0", "--tokens", "/nonexistent/tokens"],
                     ["--listen", "nowhere", "--no-auth"],
                     ["--threads", "0", "--no-auth"],
                     ["--bogus"]):
            with self.subTest(args=args):
                r = subprocess.run([ARTIDX, *self.store.args, "serve", *args],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
                self.assertEqual(r.returncode, 2)
                self.assertEqual(len(r.stderr.decode().strip().splitlines()), 1, r.stderr)
        r = subprocess.run([ARTIDX, "serve", "--help"], stdout=subprocess.PIPE, timeout=30)
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"artifact-lookup", r.stdout)

    def test_a_store_that_cannot_be_listed_fails_start_up_in_one_line(self):
        # (location, environment, the error after the location): not a served 500 per request.
        if stores.BACKEND == "local":
            cases = [(os.path.join(self.tmp.name, "no-such-store"), {}, "not a directory"),
                     (self.tokens, {}, ".*[Nn]ot a directory")]
            cache = []
        else:
            bucket = "artidx-no-such-bucket-" + os.urandom(6).hex()
            cases = [(self.store.location, {"AWS_SECRET_ACCESS_KEY": "wrong"}, r".*: HTTP 403 "),
                     (f"s3://{bucket}/p", {}, rf"s3://{bucket}/.*: HTTP 404 NoSuchBucket: ")]
            cache = ["--cache", self.store.cache]
        for location, env, why in cases:
            with self.subTest(location=location, env=env):
                r = subprocess.run([ARTIDX, "--store", location, *cache, "serve", "--listen",
                                    "127.0.0.1:0", "--no-auth"], env=dict(os.environ, **env),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
                lines = r.stderr.decode().splitlines()
                self.assertEqual((r.returncode, len(lines)), (2, 1), r.stderr)
                self.assertRegex(lines[0], "^" + re.escape(f"artidx serve: store {location}: ") +
                                 why)

    # --- operations ---------------------------------------------------------------------------

    @stores.local_only
    def test_metrics_and_access_log(self):
        def scrape():
            status, headers, body = self.server.request("/metrics")
            self.assertEqual(status, 200)
            self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
            samples = {}
            for line in body.decode().splitlines():
                if line.startswith("#"):
                    self.assertRegex(line, r"^# (HELP|TYPE) artidx_\w+ ")
                    continue
                m = re.fullmatch(r'(artidx_\w+(?:\{[^}]*\})?) (\S+)', line)
                self.assertTrue(m, line)
                samples[m.group(1)] = float(m.group(2))
            return samples

        before = scrape()
        key = 'artidx_http_requests_total{endpoint="artifact_lookup",status="200"}'
        for _ in range(3):
            self.lookup("web", [("release", RELEASE), ("url", "/static")])
        # A request is counted once its response has been sent, which the client may see
        # first: wait (bounded) for the count.
        deadline = time.monotonic() + 10
        while True:
            after = scrape()
            if after.get(key, 0) - before.get(key, 0) >= 3 or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        self.assertGreaterEqual(after[key] - before.get(key, 0), 3)
        buckets = [v for k, v in after.items() if k.startswith(
            "artidx_http_request_duration_seconds_bucket")]
        self.assertEqual(buckets, sorted(buckets))
        self.assertEqual(buckets[-1], after["artidx_http_request_duration_seconds_count"])
        self.assertGreater(after["artidx_index_cache_hits_total"], 0)
        self.assertGreater(after["artidx_indexes_open"], 0)
        self.assertTrue(self.server.wait_log(
            r'\d{4}-\d\d-\d\dT[\d:.]+Z 127\.0\.0\.1 "GET /api/0/projects/acme/web/'
            r'artifact-lookup/\?release=shop%402\.4\.0&url=%2Fstatic HTTP/1\.1" 200 \d+ [\d.]+ms'))

    @stores.local_only
    def test_json_access_log_and_sigterm_finishes_requests_in_flight(self):
        server = Server(self.store, "--log-format", "json", tokens=self.tokens)
        try:
            # A request whose request line has arrived but whose headers have not: in flight.
            s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            deadline = time.monotonic() + 10
            while True:
                _, _, body = server.request("/metrics")
                if re.search(rb"artidx_http_requests_in_flight [2-9]", body):
                    break
                self.assertLess(time.monotonic(), deadline)
            server.proc.send_signal(signal.SIGTERM)
            s.sendall(b"\r\n")
            response = s.recv(65536)
            self.assertTrue(response.startswith(b"HTTP/1.1 200"), response)
            self.assertTrue(response.endswith(b"ok\n"), response)
            s.close()
            self.assertEqual(server.proc.wait(timeout=30), 0)
        finally:
            self.assertEqual(server.stop(), 0)
        lines = [json.loads(l) for l in server.read_log().splitlines() if l.startswith("{")]
        self.assertIn({"method": "GET", "target": "/healthz", "status": 200, "bytes": 3,
                       "endpoint": "healthz"},
                      [{k: l[k] for k in ("method", "target", "status", "bytes", "endpoint")}
                       for l in lines])

    def test_new_adds_are_visible_within_a_second(self):
        # An index the server holds open: a new segment in it is seen within the staleness bound.
        subprocess.check_output([ARTIDX, *self.store.args, "add",
                                 os.path.join(FIXTURES, "symbolicator/sorted_bundles_01_wrong.zip"),
                                 "--project", "web", "--release", "fresh", "--timestamp", "5"])
        self.assertEqual(len(self.lookup("web", [("release", "fresh"), ("url", "/test")])), 1)
        params = [("release", "fresh"), ("url", "/static/rx/ajax/index")]
        self.assertEqual(self.lookup("web", params), [])
        subprocess.check_output([ARTIDX, *self.store.args, "add",
                                 os.path.join(FIXTURES, "sentry-cli/rxjs-cjs.zip"), "--project",
                                 "web", "--release", "fresh", "--timestamp", "5"])
        added = time.monotonic()
        while not self.lookup("web", params):
            self.assertLess(time.monotonic() - added, 1.5)
            time.sleep(0.01)
        self.assertLess(time.monotonic() - added, 1.5)

    @stores.local_only
    def test_bounded_requests_and_slow_clients(self):
        server = Server(self.store, "--timeout", "1")
        try:
            # Oversized request line and headers: refused, the server unharmed.
            for request in (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                            b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"b" * 70000 + b"\r\n\r\n"):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                try:
                    s.sendall(request)
                    response = s.recv(100)
                except (ConnectionResetError, BrokenPipeError):
                    response = b"reset"
                self.assertFalse(response.startswith(b"HTTP/1.1 200"), response)
                s.close()
            # A slow client is cut off after the timeout.
            s = socket.create_connection(("127.0.0.1", server.port), timeout=20)
            s.sendall(b"GET /healthz HTTP/1.1\r\n")
            start = time.monotonic()
            received = b""
            while True:
                chunk = s.recv(100)
                if not chunk:
                    break
                received += chunk
            self.assertNotIn(b" 200 ", received)
            self.assertLess(time.monotonic() - start, 5)
            s.close()
            # Garbage does not crash it.
            for junk in (b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n", b"GET /%zz HTTP/1.1\r\n\r\n",
                         b"A" * 5000 + b"\r\n\r\n", b"GET /healthz HTTP/9.9\r\n\r\n",
                         b"GET /v1/lookup?project=../../etc HTTP/1.1\r\nHost: x\r\n\r\n"):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                s.sendall(junk)
                try:
                    s.recv(1000)
                except ConnectionResetError:
                    pass
                s.close()
            self.assertEqual(server.request("/healthz")[0], 200)
        finally:
            self.assertEqual(server.stop(), 0)

    @stores.local_only
    def test_64_concurrent_keep_alive_clients(self):
        b = next(b for b in self.bundles if b["fixture"] == "sentry-cli/rxjs-cjs.zip")
        queries = [[("debug_id", d)] for d in sorted(b["debug_ids"])[:4]]
        queries += [[("release", RELEASE), ("url", file_stem(f))] for f in self.frames(
            b["fixture"], 4)]
        want = {}
        for q in queries:
            target = lookup_target("web", q)
            want[target] = self.server.request(target, "tok-web")[2]
        targets = list(want)
        errors = []

        def client(n):
            try:
                conn = self.server.conn()
                for i in range(40):
                    target = targets[(n + i) % len(targets)]
                    status, _, body = self.server.request(target, "tok-web", conn=conn)
                    if (status, body) != (200, want[target]):
                        errors.append((status, body[:200]))
                conn.close()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertFalse(any(t.is_alive() for t in threads))
        self.assertEqual(errors, [])


if __name__ == "__main__":
    stores.backend_from_argv(sys.argv)
    ARTIDX, FIXTURES = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:])
