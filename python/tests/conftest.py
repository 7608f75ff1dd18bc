"""Shared helpers of the Python package's tests: the fixtures' bundles, the CLI, stores.

The tests run against the installed package (scripts/test installs it into a virtual
environment) and compare it with the artidx command line built from the same tree: $ARTIDX_CLI,
else build/artidx. Fixtures are the real sentry-cli uploads in ../shared/fixtures.
"""

import json
import os
import subprocess
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
    args = ["--store", store, "add", fixture.path, "--timestamp", fixture.timestamp]
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


@pytest.fixture(scope="session")
def python_store(tmp_path_factory, fixtures, cli):
    """A store every fixture was added to through Python."""
    import artidx

    root = tmp_path_factory.mktemp("python-store") / "store"
    indexer = artidx.Indexer(root)
    for f in fixtures:
        add_with_python(indexer, f)
    return root


@pytest.fixture(scope="session")
def cli_store(tmp_path_factory, fixtures, cli):
    """A store every fixture was added to through the CLI."""
    root = tmp_path_factory.mktemp("cli-store") / "store"
    for f in fixtures:
        add_with_cli(root, f)
    return root
