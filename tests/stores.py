"""The stores the end-to-end tests (server_test.py, upload_test.py) run against, one backend per
run, chosen by --backend local|s3 on their command line: a local directory, or a random prefix
under $ARTIDX_TEST_S3_URL (an S3-compatible object store configured as artidx reads it:
AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...) with a cache directory of its own. Without
ARTIDX_TEST_S3_URL the s3 run is skipped (exit status 77), unless ARTIDX_REQUIRE_S3 is set, which
makes that a failure (as store/backend_test.cc). Tests of what the backend does not change are
marked @local_only and run once, on the local store.

A store's objects are read and deleted here through a minimal S3 client (AWS Signature V4,
path-style against AWS_ENDPOINT_URL): the tests compare what a store holds, remove an archive
from under the server, and delete every object of their prefix when done."""

import datetime
import hashlib
import hmac
import http.client
import os
import secrets
import shutil
import sys
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

BACKENDS = ("local", "s3")
BACKEND = "local"  # of this run: set by backend_from_argv
SKIP = 77  # the exit status ctest reports as skipped (SKIP_RETURN_CODE)


def backend_from_argv(argv):
    """Takes "--backend local|s3" out of argv (default local) and sets BACKEND. For s3 without a
    server: exits SKIP, or fails when ARTIDX_REQUIRE_S3 is set."""
    global BACKEND
    backend = "local"
    if "--backend" in argv:
        i = argv.index("--backend")
        backend = argv[i + 1] if i + 1 < len(argv) else ""
        del argv[i:i + 2]
    if backend not in BACKENDS:
        sys.exit(f"--backend takes one of {BACKENDS}, not {backend!r}")
    if backend == "s3" and not os.environ.get("ARTIDX_TEST_S3_URL"):
        if os.environ.get("ARTIDX_REQUIRE_S3"):
            sys.exit("ARTIDX_REQUIRE_S3 is set but ARTIDX_TEST_S3_URL is not")
        print("skipped: no S3 server (set ARTIDX_TEST_S3_URL; scripts/test does)")
        sys.exit(SKIP)
    BACKEND = backend
    return backend


def local_only(test):
    """Marks a test (a method or a whole TestCase) of what the store's backend does not change:
    it runs on the local store only."""
    test.local_only = True
    return test


class TestCase(unittest.TestCase):
    """Skips the tests marked @local_only when the run is not on the local store."""

    def setUp(self):
        if BACKEND != "local" and (getattr(self, "local_only", False) or getattr(
                getattr(self, self._testMethodName), "local_only", False)):
            self.skipTest("does not depend on the store's backend: run on the local store")


class S3:
    """ListObjectsV2, GET, HEAD and DELETE in one bucket, signed with AWS Signature V4."""

    def __init__(self, bucket):
        self.bucket = bucket
        self.key_id = os.environ["AWS_ACCESS_KEY_ID"]
        self.secret = os.environ["AWS_SECRET_ACCESS_KEY"]
        self.token = os.environ.get("AWS_SESSION_TOKEN")
        self.region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") \
            or "us-east-1"
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            u = urllib.parse.urlsplit(endpoint)
            self.https, self.host, self.base = u.scheme == "https", u.netloc, "/" + bucket
        else:
            self.https, self.host, self.base = True, f"{bucket}.s3.{self.region}.amazonaws.com", ""

    def request(self, method, key="", query=()):
        path = urllib.parse.quote(self.base + "/" + key, safe="/-_.~")
        q = "&".join(urllib.parse.quote(k, safe="-_.~") + "=" + urllib.parse.quote(v, safe="-_.~")
                     for k, v in sorted(query))
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        payload = hashlib.sha256(b"").hexdigest()
        headers = {"host": self.host, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
        if self.token:
            headers["x-amz-security-token"] = self.token
        signed = ";".join(sorted(headers))
        canonical = "\n".join([method, path, q, "".join(f"{k}:{headers[k]}\n" for k in
                                                        sorted(headers)), signed, payload])
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        k = ("AWS4" + self.secret).encode()
        for part in (day, self.region, "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={self.key_id}/{scope}, "
                                    f"SignedHeaders={signed}, Signature={signature}")
        conn = (http.client.HTTPSConnection if self.https else http.client.HTTPConnection)(
            self.host, timeout=60)
        conn.request(method, path + ("?" + q if q else ""), headers=headers)
        r = conn.getresponse()
        body = r.read()
        conn.close()
        return r.status, body

    def list(self, prefix):
        keys, token = [], None
        ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
        while True:
            query = [("list-type", "2"), ("prefix", prefix)]
            if token:
                query.append(("continuation-token", token))
            status, body = self.request("GET", query=query)
            if status != 200:
                raise RuntimeError(f"s3://{self.bucket}/{prefix}: list: HTTP {status} {body[:200]}")
            root = ET.fromstring(body)
            keys += [e.text for e in root.iter(ns + "Key")]
            token = root.findtext(ns + "NextContinuationToken")
            if root.findtext(ns + "IsTruncated") != "true" or not token:
                return keys

    def get(self, key):
        status, body = self.request("GET", key)
        if status != 200:
            raise RuntimeError(f"s3://{self.bucket}/{key}: GET: HTTP {status}")
        return body

    def delete(self, key):
        status, body = self.request("DELETE", key)
        if status not in (200, 204):
            raise RuntimeError(f"s3://{self.bucket}/{key}: DELETE: HTTP {status} {body[:200]}")


class TestStore:
    """A store of one backend for a test: `location` for --store, `args` to put before a verb
    (--store, and --cache for S3), and the few operations the tests make on its files by their
    paths in the store (SPEC.md 18), e.g. "bundles/ID/SHA1.zip"."""

    def __init__(self, tmp, name):
        self.backend = BACKEND
        self.tmp = tmp  # local scratch: the S3 store's cache, the server's logs
        self.log_dir = os.path.join(tmp, name + ".logs")
        if self.backend == "local":
            self.location = os.path.join(tmp, name)
            os.makedirs(self.location)
            self.args = ["--store", self.location]
        else:
            url = os.environ["ARTIDX_TEST_S3_URL"].rstrip("/")
            bucket, _, prefix = url[len("s3://"):].partition("/")
            self.s3 = S3(bucket)
            self.prefix = (prefix + "/" if prefix else "") + f"{name}-{secrets.token_hex(6)}"
            self.location = f"s3://{bucket}/{self.prefix}"
            self.cache = os.path.join(tmp, name + ".cache")
            self.args = ["--store", self.location, "--cache", self.cache]

    def files(self, under=""):
        """{path: bytes} of the store's files under `under` (a directory path or "")."""
        if self.backend == "local":
            out = {}
            for dirpath, _, names in os.walk(os.path.join(self.location, under)):
                for n in names:
                    p = os.path.join(dirpath, n)
                    with open(p, "rb") as f:
                        out[os.path.relpath(p, self.location)] = f.read()
            return out
        start = self.prefix + "/" + (under.rstrip("/") + "/" if under else "")
        return {k[len(self.prefix) + 1:]: self.s3.get(k) for k in self.s3.list(start)}

    def exists(self, path):
        if self.backend == "local":
            return os.path.exists(os.path.join(self.location, path))
        status, _ = self.s3.request("HEAD", self.prefix + "/" + path)
        if status not in (200, 404):
            raise RuntimeError(f"{self.location}/{path}: HEAD: HTTP {status}")
        return status == 200

    def delete(self, path):
        if self.backend == "local":
            os.remove(os.path.join(self.location, path))
        else:
            self.s3.delete(self.prefix + "/" + path)

    def cleanup(self):
        """Deletes the store (every object of an S3 store's prefix) and its scratch files."""
        if self.backend == "s3":
            for key in self.s3.list(self.prefix + "/"):
                self.s3.delete(key)
            shutil.rmtree(self.cache, ignore_errors=True)
        else:
            shutil.rmtree(self.location, ignore_errors=True)
        shutil.rmtree(self.log_dir, ignore_errors=True)
