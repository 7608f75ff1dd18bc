"""Errors: each bad input of the catalogue (hostile and broken bundles, bad names, options and
debug ids, damaged stores) raises its artidx.Error subclass with exactly the one-line message the
CLI prints for the same input, and leaves the store as it was."""

import io
import json
import stat
import warnings
import zipfile

import pytest

import artidx
from conftest import cli_error, run_cli, snapshot

DEBUG_ID = "2f259f80-58b7-44cb-d7cd-de1505e7e718"


def zip_bytes(entries, prefix=b"SYSB\x02\x00\x00\x00"):
    """A zip of these (name or ZipInfo, bytes) entries, deflated, after sentry-cli's prefix."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a duplicate name is one of the cases
        for name, data in entries:
            z.writestr(name, data)
    return prefix + out.getvalue()


def entry(url="~/a.js", type_="minified_source", **headers):
    return {"type": type_, "url": url, "headers": {"debug-id": DEBUG_ID, **headers}}


def manifest(files, **top):
    return json.dumps({"files": files, **top})


def bundle(manifest_text, names=("files/a.js",)):
    return zip_bytes([(n, b"a") for n in names] + [("manifest.json", manifest_text)])


def symlink_entry():
    info = zipfile.ZipInfo("files/a.js")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


# name -> (bundle bytes, extra add arguments for Python, the same for the CLI)
def bad_bundles(fixtures):
    good = fixtures[0].path.read_bytes()
    cases = {
        "not_a_zip": (b"console.log('hello');\n", {}, []),
        "empty_file": (b"", {}, []),
        "truncated": (good[: len(good) // 2], {}, []),
        "no_manifest": (zip_bytes([("files/a.js", b"a")]), {}, []),
        "manifest_not_json": (bundle("{"), {}, []),
        "manifest_not_an_object": (bundle("[1]"), {}, []),
        "manifest_without_files": (bundle("{}"), {}, []),
        "files_is_an_array": (bundle('{"files":[]}'), {}, []),
        "entry_not_an_object": (bundle('{"files":{"files/a.js":1}}'), {}, []),
        "unknown_type": (bundle(manifest({"files/a.js": entry(type_="bogus\nline")})), {}, []),
        "type_is_a_number": (bundle('{"files":{"files/a.js":{"type":3,"url":"~/a.js"}}}'), {}, []),
        "missing_type": (bundle('{"files":{"files/a.js":{"url":"~/a.js"}}}'), {}, []),
        "headers_not_an_object": (
            bundle('{"files":{"files/a.js":{"type":"source","url":"~/a.js","headers":[]}}}'),
            {}, []),
        "url_not_a_string": (
            bundle('{"files":{"files/a.js":{"type":"source","url":1}}}'), {}, []),
        "invalid_debug_id_header": (
            bundle(manifest({"files/a.js": entry(**{"debug-id": "not-an-id"})})), {}, []),
        "invalid_manifest_debug_id": (
            bundle(manifest({"files/a.js": entry()}, debug_id="zz")), {}, []),
        "names_a_missing_file": (bundle(manifest({"files/b.js": entry()})), {}, []),
        "dot_dot_entry_name": (
            bundle(manifest({"files/../evil.js": entry()}), names=("files/../evil.js",)), {}, []),
        "absolute_entry_name": (
            bundle(manifest({"/etc/evil.js": entry()}), names=("/etc/evil.js",)), {}, []),
        "symlink_entry": (
            zip_bytes([(symlink_entry(), b"/etc/passwd"),
                       ("manifest.json", manifest({"files/a.js": entry()}))]), {}, []),
        "duplicate_manifest": (
            zip_bytes([("files/a.js", b"a"), ("manifest.json", manifest({"files/a.js": entry()})),
                       ("manifest.json", manifest({}))]), {}, []),
        "deeply_nested_manifest": (
            bundle('{"files":{"files/a.js":' + "[" * 100_000 + "]" * 100_000 + "}}"), {}, []),
        "invalid_utf8_url": (
            bundle(manifest({"files/a.js": entry(url="~/a\udcff.js")}).encode("utf-8",
                                                                             "surrogateescape")
                   .replace(b"\\udcff", b"\xff")), {}, []),
        "one_mebibyte_url": (
            bundle(manifest({"files/a.js": entry(url="~/" + "a" * (1 << 20))})), {}, []),
        "zip_bomb_manifest": (
            bundle('{"files":{}' + " " * (70 << 20) + "}"), {}, []),
        "more_entries_than_the_cap": (
            bundle(manifest({"files/a.js": entry(), "files/b.js": entry(url="~/b.js")}),
                   names=("files/a.js", "files/b.js")),
            {"max_entries": 1}, ["--max-entries", "1"]),
        "manifest_past_its_cap": (
            bundle(manifest({"files/a.js": entry()})),
            {"max_manifest_bytes": 10}, ["--max-manifest-bytes", "10"]),
    }
    return cases


@pytest.fixture
def store_with_one_bundle(tmp_path, fixtures):
    root = tmp_path / "store"
    f = fixtures[0]
    artidx.Indexer(root).add(f.path, projects="web", release="1.0", timestamp=1000)
    return root


def test_each_bad_bundle_raises_invalid_bundle_as_the_cli(tmp_path, fixtures,
                                                          store_with_one_bundle):
    root = store_with_one_bundle
    indexer = artidx.Indexer(root)
    before = snapshot(root)
    cases = bad_bundles(fixtures)
    for name, (data, kwargs, cli_args) in cases.items():
        path = tmp_path / f"{name}.zip"
        path.write_bytes(data)
        with pytest.raises(artidx.InvalidBundle) as caught:
            indexer.add(path, projects="web", release="1.0", timestamp=2000, **kwargs)
        message = str(caught.value)
        assert str(path) in message and "\n" not in message, (name, message)
        assert message == cli_error("--store", root, "add", path, "--project", "web",
                                    "--release", "1.0", "--timestamp", "2000", *cli_args), name
        assert snapshot(root) == before, f"{name} changed the store"
    assert len(cases) >= 25


def test_a_bad_bundle_among_good_ones_adds_nothing(tmp_path, fixtures, store_with_one_bundle):
    root = store_with_one_bundle
    before = snapshot(root)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(artidx.InvalidBundle, match="bad.zip"):
        artidx.Indexer(root).add([fixtures[1].path, bad, fixtures[2].path], projects="web",
                                 release="1.0")
    assert snapshot(root) == before


def test_missing_and_unreadable_bundle_files(tmp_path, store_with_one_bundle):
    root = store_with_one_bundle
    indexer = artidx.Indexer(root)
    missing = tmp_path / "no-such-bundle.zip"
    with pytest.raises(artidx.NotFound) as caught:
        indexer.add(missing, projects="web", release="1.0")
    assert str(caught.value) == cli_error("--store", root, "add", missing, "--project", "web",
                                          "--release", "1.0")
    with pytest.raises(artidx.InvalidBundle) as caught:
        indexer.add(tmp_path, projects="web", release="1.0")
    assert str(caught.value) == cli_error("--store", root, "add", tmp_path, "--project", "web",
                                          "--release", "1.0")


def test_bad_options_of_add(tmp_path, fixtures, store_with_one_bundle):
    root = store_with_one_bundle
    indexer = artidx.Indexer(root)
    path = fixtures[0].path
    before = snapshot(root)
    as_cli = [  # (python kwargs, cli arguments): the library's own checks, same message
        ({"projects": "no/slash", "release": "1.0"}, ["--project", "no/slash", "--release", "1.0"]),
        ({"projects": ["web", ".."], "release": "1.0"},
         ["--project", "web", "--project", "..", "--release", "1.0"]),
        ({"projects": "web", "release": "r" * 251}, ["--project", "web", "--release", "r" * 251]),
        ({"projects": "web", "release": "1.0", "dist": "d" * 65},
         ["--project", "web", "--release", "1.0", "--dist", "d" * 65]),
        ({"projects": "web", "dist": "web"}, ["--project", "web", "--dist", "web"]),
        ({"projects": "web", "release": "1.0", "bundle_id": "not valid!"},
         ["--project", "web", "--release", "1.0", "--bundle-id", "not valid!"]),
    ]
    for kwargs, cli_args in as_cli:
        with pytest.raises(artidx.InvalidArgument) as caught:
            indexer.add(path, **kwargs)
        assert str(caught.value) == cli_error("--store", root, "add", path, *cli_args), kwargs
    own = [  # the binding's checks of what the CLI's parser checks
        ({"projects": "web", "release": ""}, "release is empty"),
        ({"projects": [], "release": "1.0"}, "no project given"),
        ({"projects": "web", "timestamp": -1}, "timestamp: expected milliseconds"),
        ({"projects": "web", "timestamp": (1 << 53) + 1}, "timestamp: expected milliseconds"),
        ({"projects": "web", "max_entries": 0}, "max_entries"),
        ({"projects": "web", "max_manifest_bytes": 0}, "max_manifest_bytes"),
    ]
    for kwargs, message in own:
        with pytest.raises(artidx.InvalidArgument, match=message):
            indexer.add(path, **kwargs)
    with pytest.raises(artidx.InvalidArgument, match="no bundle given"):
        indexer.add([], projects="web")
    with pytest.raises(artidx.InvalidArgument, match="a bundle id can be given for one bundle"):
        indexer.add([path, path], projects="web", bundle_id="x")
    for bad_projects in (5, [5], b"web"):
        with pytest.raises(TypeError, match="projects"):
            indexer.add(path, projects=bad_projects)
    with pytest.raises(TypeError):
        indexer.add(path, projects="web", timestamp="now")
    with pytest.raises(artidx.InvalidArgument, match="NUL"):
        indexer.add("a\0b.zip", projects="web")
    for bad in ({"max_age_days": -1}, {"max_age_days": float("nan")}, {"max_age_days": 1e7},
                {"max_age_days": 1, "keep_newest": -1}):
        with pytest.raises(artidx.InvalidArgument):
            indexer.gc(**bad)
    with pytest.raises(artidx.InvalidArgument):
        indexer.remove("x", timestamp=-5)
    with pytest.raises(artidx.InvalidArgument) as caught:
        indexer.remove("not valid!")
    assert str(caught.value) == cli_error("--store", root, "rm", "not valid!")
    assert snapshot(root) == before


def test_bad_lookups(store_with_one_bundle):
    root = store_with_one_bundle
    store = artidx.Store(root)
    with pytest.raises(artidx.InvalidArgument) as caught:
        store.lookup_debug_id("web", "not-a-debug-id")
    assert str(caught.value) == cli_error("--store", root, "lookup", "--project", "web",
                                          "--debug-id", "not-a-debug-id")
    for project, release, dist in (("no/slash", "1.0", ""), ("web", "r" * 251, ""),
                                   ("", "1.0", ""), ("web", "", ""), ("web", "1.0", "\n")):
        with pytest.raises(artidx.InvalidArgument) as caught:
            store.lookup_url(project, release, "~/a.js", dist=dist)
        assert str(caught.value) == cli_error("--store", root, "lookup", "--project", project,
                                              "--release", release, "--dist", dist, "--url",
                                              "~/a.js")
    with pytest.raises(artidx.InvalidArgument, match='unknown type "js"'):
        store.lookup_url("web", "1.0", "~/a.js", type="js")
    with pytest.raises(artidx.InvalidArgument, match='unknown type "js"'):
        store.lookup_debug_id("web", DEBUG_ID, type="js")
    with pytest.raises(artidx.InvalidArgument, match="dist needs a release"):
        store.list_bundles("web", dist="x")
    for limit in (0, -1, 1 << 40):
        with pytest.raises(artidx.InvalidArgument, match="limit"):
            store.list_bundles("web", "1.0", limit=limit)
    with pytest.raises(artidx.InvalidArgument) as caught:
        store.list_bundles("web", "1.0", cursor="garbage")
    assert str(caught.value) == cli_error("--store", root, "ls", "--project", "web", "--release",
                                          "1.0", "--cursor", "garbage")
    with pytest.raises(TypeError):
        store.read_file("not a candidate")


def test_bad_store_arguments(tmp_path):
    with pytest.raises(artidx.InvalidArgument, match="store is empty"):
        artidx.Store("")
    with pytest.raises(artidx.InvalidArgument, match="store is empty"):
        artidx.Indexer("")
    with pytest.raises(TypeError):
        artidx.Store(42)
    with pytest.raises(TypeError):
        artidx.Store(tmp_path, 1000)  # options are keyword-only
    for kwargs in ({"refresh_ms": -1}, {"max_open_indexes": 0}, {"max_file_bytes": 0},
                   {"cache_max_bytes": -1}, {"cache": ""}):
        with pytest.raises(artidx.InvalidArgument):
            artidx.Store(tmp_path, **kwargs)
    for kwargs in ({"cache_max_bytes": -1}, {"cache": ""}):
        with pytest.raises(artidx.InvalidArgument):
            artidx.Indexer(tmp_path, **kwargs)
    with pytest.raises(TypeError):
        artidx.Indexer(tmp_path, tmp_path)  # the cache is keyword-only


def test_a_store_on_s3_without_credentials(monkeypatch, tmp_path, fixtures):
    """An s3:// store without credentials (or with an invalid URL) makes every call raise
    InvalidArgument with the one line the CLI prints, naming the URL; nothing is written to
    the cache. Needs no server: nothing is sent."""
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    cache = tmp_path / "cache"
    url = "s3://no-credentials/some/prefix"
    store = artidx.Store(url, cache=cache)
    indexer = artidx.Indexer(url, cache=cache)
    assert store.path == url and indexer.path == url
    calls = [
        (lambda: store.lookup_url("web", "1.0", "~/a.js"),
         ["lookup", "--project", "web", "--release", "1.0", "--url", "~/a.js"]),
        (lambda: store.lookup_debug_id("web", DEBUG_ID),
         ["lookup", "--project", "web", "--debug-id", DEBUG_ID]),
        (lambda: store.list_bundles("web"), ["ls", "--project", "web"]),
        (lambda: store.verify(), ["verify"]),
        (lambda: indexer.add(fixtures[0].path, projects="web", release="1.0"),
         ["add", fixtures[0].path, "--project", "web", "--release", "1.0"]),
        (lambda: indexer.remove("some-bundle"), ["rm", "some-bundle"]),
    ]
    for call, cli_args in calls:
        with pytest.raises(artidx.InvalidArgument) as caught:
            call()
        assert url in str(caught.value) and "credentials" in str(caught.value)
        assert str(caught.value) == cli_error("--store", url, "--cache", cache, *cli_args)
    assert not cache.exists()


def test_damaged_archives(tmp_path, fixtures):
    """A candidate whose archive lost the entry raises DataLoss with the message `artidx cat`
    prints; one whose archive vanished raises NotFound naming the archive (`artidx cat` skips
    such a candidate, as the library's repair on read does, and finds none here)."""
    root = tmp_path / "store"
    f = next(f for f in fixtures if f.release)
    artidx.Indexer(root).add(f.path, projects="web", release="1.0", timestamp=1000)
    store = artidx.Store(root)
    zip_path, entry_ = f.entries()[0]
    (c,) = [c for c in store.lookup_url("web", "1.0", entry_["url"]) if c.path == zip_path]
    cat = ["--store", root, "cat", "--project", "web", "--release", "1.0", "--url", entry_["url"]]
    (archive,) = (root / "bundles").rglob("*.zip")
    saved = archive.read_bytes()
    archive.write_bytes(zip_bytes([("manifest.json", "{}")]))
    with pytest.raises(artidx.DataLoss) as caught:
        store.read_file(c)
    assert str(caught.value) == cli_error(*cat)
    archive.unlink()
    with pytest.raises(artidx.NotFound) as caught:
        store.read_file(c)
    assert str(archive) in str(caught.value)
    assert run_cli(*cat, check=False).returncode == 1
    with pytest.raises(artidx.NotFound):
        store.sourcemap_of(c)
    archive.write_bytes(saved)
    assert store.read_file(c) == f.read(zip_path)


def test_files_past_max_file_bytes(tmp_path, fixtures):
    root = tmp_path / "store"
    f = next(f for f in fixtures if f.release)
    artidx.Indexer(root).add(f.path, projects="web", release="1.0")
    zip_path, entry_ = max(f.entries(), key=lambda e: len(f.read(e[0])))
    store = artidx.Store(root, max_file_bytes=len(f.read(zip_path)) - 1)
    (c,) = [c for c in store.lookup_url("web", "1.0", entry_["url"]) if c.path == zip_path]
    with pytest.raises(artidx.Error) as caught:
        store.read_file(c)
    assert str(root) in str(caught.value) or zip_path in str(caught.value)
