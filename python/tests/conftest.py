"""Shared helpers of the Python package's tests: the fixtures' bundles, the CLI, stores.

The tests run against the installed package (scripts/test installs it into a virtual
environment) and compare it with the artidx command line built from the same tree: $ARTIDX_CLI,
else build/artidx. Fixtures are the real sentry-cli uploads in ../shared/fixtures.

Tests parametrised by backend run once on a local directory and once on the S3 server that
$ARTIDX_TEST_S3_URL and the AWS variables name (scripts/test starts a loopback Swift and sets
them), each store under a new prefix of its own with its own cache directory; without a server
the S3 cases skip, unless $ARTIDX_REQUIRE_S3 is set, when they fail.
"""

import json
import os
import subprocess
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("ARTIDX_FIXTURES", ROOT.parent / "shared" / "fixtures"))
CLI = Path(os.environ.get("ARTIDX_CLI", ROOT / "build" / "artidx"))


@dataclass
class Fixture:
    """A fixture bundle and where it is added: the projects, release and dist of its upload."""

    path: Path
    projects: list
    release: str
    dist: str
    timestamp: int
    manifest: dict = field(default_factory=dict)

    def entries(self):
        """(zip path, manifest entry) of every file with a URL."""
        return sorted((k, v) for k, v in self.manifest["files"].items() if v.get("url"))

    def read(self, zip_path):
        with zipfile.ZipFile(self.path) as z:
            return z.read(zip_path)


def load_fixtures():
    """Every fixture bundle: sentry-cli's with the projects, release and dist of their upload
    request; Symbolicator's in project "sym", release "sym@1"."""
    found = []
    timestamp = 1_700_000_000_000
    for bundle in sorted((FIXTURES / "sentry-cli").glob("*.zip")):
        request = json.loads(bundle.with_suffix(".request.json").read_text())
        found.append(Fixture(bundle, request["projects"], request.get("version", ""),
                             request.get("dist", ""), timestamp))
        timestamp += 1000
    for bundle in sorted((FIXTURES / "symbolicator").glob("*.zip")):
        found.append(Fixture(bundle, ["sym"], "sym@1", "", timestamp))
        timestamp += 1000
    for f in found:
        with zipfile.ZipFile(f.path) as z:
            f.manifest = json.loads(z.read("manifest.json"))
    return found


FIXTURE_LIST = load_fixtures()

BACKENDS = ["local", "s3"]
S3_URL = os.environ.get("ARTIDX_TEST_S3_URL")


@dataclass
class StoreAt:
    """A store on one backend: its location (a directory, or an s3:// URL) and the cache
    directory its users are given."""

    backend: str
    location: object  # a Path, or an "s3://..." str
    cache: Path

    def store(self, **options):
        import artidx

        return artidx.Store(self.location, cache=self.cache, **options)

    def indexer(self):
        import artidx

        return artidx.Indexer(self.location, cache=self.cache)

    def args(self, *args):
        """CLI arguments naming the store and its cache, then args."""
        return ["--store", self.location, "--cache", self.cache, *args]


def new_store_at(backend, directory, name):
    """A new, empty store on backend ("local" or "s3") with its cache, both under directory:
    the store a directory there, or a new prefix under $ARTIDX_TEST_S3_URL. Skips when there is
    no S3 server, or fails when $ARTIDX_REQUIRE_S3 is set."""
    directory = Path(directory)
    if backend == "local":
        return StoreAt(backend, directory / name, directory / f"{name}-cache")
    assert backend == "s3", backend
    if not S3_URL:
        if os.environ.get("ARTIDX_REQUIRE_S3"):
            pytest.fail("ARTIDX_REQUIRE_S3 is set but ARTIDX_TEST_S3_URL is not")
        pytest.skip("no S3 server: set ARTIDX_TEST_S3_URL (scripts/test does)")
    return StoreAt(backend, f"{S3_URL.rstrip('/')}/{name}-{uuid.uuid4().hex}",
                   directory / f"{name}-cache")


def run_cli(*args, check=True):
    """Runs the CLI; returns the CompletedProcess (stdout, stderr as bytes)."""
    result = subprocess.run([str(CLI), *map(str, args)], capture_output=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"artidx {args} exited {result.returncode}: {result.stderr!r}")
    return result


def cli_json(*args):
    return json.loads(run_cli(*args, "--json").stdout)


def cli_error(*args):
    """The one-line message the CLI prints for a failing command, without "artidx: "."""
    result = run_cli(*args, check=False)
    assert result.returncode == 2, (args, result)
    line = result.stderr.decode()
    assert line.startswith("artidx: ") and line.endswith("\n") and line.count("\n") == 1, line
    return line[len("artidx: "):-1]


def add_with_python(indexer, fixture):
    import artidx

    assert isinstance(indexer, artidx.Indexer)
    return indexer.add(fixture.path, projects=fixture.projects, release=fixture.release or None,
                       dist=fixture.dist, timestamp=fixture.timestamp)


def add_with_cli(store, fixture):
    """Adds the fixture with the CLI to store: a directory, or a StoreAt."""
    at = store.args() if isinstance(store, StoreAt) else ["--store", store]
    args = [*at, "add", fixture.path, "--timestamp", fixture.timestamp]
    for p in fixture.projects:
        args += ["--project", p]
    if fixture.release:
        args += ["--release", fixture.release]
    if fixture.dist:
        args += ["--dist", fixture.dist]
    return cli_json(*args)["added"]


def snapshot(root):
    """Every path under root with the bytes of every file."""
    root = Path(root)
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="session")
def cli():
    assert CLI.is_file(), f"{CLI} is missing: build the project first (scripts/build)"
    return CLI


@pytest.fixture(scope="session")
def fixtures():
    assert FIXTURE_LIST, f"no fixture bundles in {FIXTURES}"
    return FIXTURE_LIST


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Runs the test on each backend: "local", then "s3"."""
    return request.param


@pytest.fixture
def new_store(backend, tmp_path):
    """new_store(name="store") -> StoreAt: a new, empty store on the test's backend, with a
    cache directory under tmp_path."""
    return lambda name="store": new_store_at(backend, tmp_path, name)


@pytest.fixture(scope="session")
def filled(tmp_path_factory, fixtures, cli):
    """filled(writer, backend) -> StoreAt: a store on backend every fixture was added to
    through writer ("python" or "cli"), made once per session. Read it only."""
    made = {}

    def get(writer, backend):
        if (writer, backend) not in made:
            at = new_store_at(backend, tmp_path_factory.mktemp(f"{writer}-{backend}"), "store")
            indexer = at.indexer() if writer == "python" else None
            for f in fixtures:
                if indexer is not None:
                    add_with_python(indexer, f)
                else:
                    assert writer == "cli", writer
                    add_with_cli(at, f)
            made[(writer, backend)] = at
        return made[(writer, backend)]

    return get


@pytest.fixture(scope="session")
def python_store(filled):
    """The directory of a local store every fixture was added to through Python."""
    return filled("python", "local").location


@pytest.fixture(scope="session")
def cli_store(filled):
    """The directory of a local store every fixture was added to through the CLI."""
    return filled("cli", "local").location
