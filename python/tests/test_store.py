"""artidx.Store over the real sentry-cli uploads: every method, checked against the bundles'
own manifests and bytes and against the CLI (adds through Python read by the CLI, and the
reverse); on a local directory and on S3, whose answers must be those of the local store."""

import json
import os
import pathlib
import time

import pytest

import artidx
from conftest import cli_json, new_store_at, run_cli


def debug_id_of(entry):
    for key, value in entry.get("headers", {}).items():
        if key.lower() in ("debug-id", "debug_id"):
            return value
    return None


def sample(items, n):
    """At most n items spread over the list (first and last included)."""
    items = list(items)
    if len(items) <= n:
        return items
    return [items[i * (len(items) - 1) // (n - 1)] for i in range(n)]


def cli_lookup_url(store, project, release, dist, url):
    args = ["--store", store, "lookup", "--project", project, "--release", release, "--url", url]
    if dist:
        args += ["--dist", dist]
    result = run_cli(*args, "--json", check=False)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)["candidates"]


def cli_lookup_debug_id(store, project, debug_id, type=None):
    args = ["--store", store, "lookup", "--project", project, "--debug-id", debug_id]
    if type:
        args += ["--type", type]
    result = run_cli(*args, "--json", check=False)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)["candidates"]


def test_package_basics():
    assert artidx.__version__
    assert artidx.Store.__module__ == "artidx"
    assert "lookup_url" in artidx.Store.__dict__
    assert "Symbolicator" in artidx.Store.lookup_url.__doc__
    for exc in (artidx.InvalidBundle, artidx.InvalidArgument, artidx.NotFound, artidx.DataLoss,
                artidx.Unavailable):
        assert issubclass(exc, artidx.Error) and issubclass(exc, Exception)
        assert exc.__module__ == "artidx" and exc.__doc__
    stubs = pathlib.Path(artidx.__file__).with_name("__init__.pyi")
    assert stubs.is_file() and stubs.with_name("py.typed").is_file()


@pytest.mark.parametrize("writer", ["python", "cli"])
def test_every_file_by_url_holds_its_bytes(filled, writer, backend, fixtures):
    """Every manifest file is found by its URL, in its own bundle at its zip path, newest bundle
    first, and read_file gives the archive entry's bytes. Stores written by Python and by the
    CLI, local or on S3, answer alike: as the local store written by Python."""
    store = filled(writer, backend).store()
    reference = artidx.Store(filled("python", "local").location)
    ids = {}
    for f in fixtures:
        if not f.release:
            continue
        for zip_path, entry in f.entries():
            for project in f.projects:
                found = store.lookup_url(project, f.release, entry["url"], dist=f.dist)
                assert found, (f.path, entry["url"])
                assert [c.to_dict() for c in found] == [c.to_dict() for c in reference.lookup_url(
                    project, f.release, entry["url"], dist=f.dist)]
                stamps = [c.timestamp for c in found]
                assert stamps == sorted(stamps, reverse=True)
                mine = [c for c in found if c.path == zip_path and c.timestamp == f.timestamp]
                assert len(mine) == 1, (entry["url"], found)
                c = mine[0]
                assert c.url == entry["url"] and c.type == entry["type"]
                assert c.debug_id == (debug_id_of(entry) or "").lower() or (
                    c.debug_id is None and debug_id_of(entry) is None)
                ids[f.path] = c.bundle_id
            assert store.read_file(c) == f.read(zip_path)
    assert len(ids) == len([f for f in fixtures if f.release and f.entries()])


@pytest.mark.parametrize("writer", ["python", "cli"])
def test_every_file_by_debug_id(filled, writer, backend, fixtures):
    at = filled(writer, backend)
    location = os.fsencode(at.location)  # bytes paths work too, and bytes URLs
    store = artidx.Store(location, cache=os.fsencode(at.cache))
    reference = artidx.Store(filled("python", "local").location)
    checked = 0
    for f in fixtures:
        for zip_path, entry in f.entries():
            debug_id = debug_id_of(entry)
            if debug_id is None:
                continue
            for form in (debug_id, debug_id.upper().replace("-", "")):
                found = store.lookup_debug_id(f.projects[0], form)
                assert any(c.path == zip_path and c.timestamp == f.timestamp for c in found)
                assert [c.to_dict() for c in found] == [
                    c.to_dict() for c in reference.lookup_debug_id(f.projects[0], form)]
                assert [store.read_file(c) for c in found] == [
                    reference.read_file(c) for c in reference.lookup_debug_id(f.projects[0], form)]
                typed = store.lookup_debug_id(f.projects[0], form, type=entry["type"])
                assert typed and all(c.type == entry["type"] for c in typed)
                assert [c.to_dict() for c in typed] == [
                    c.to_dict() for c in found if c.type == entry["type"]]
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("writer,reader", [("python", "cli"), ("cli", "python")])
def test_to_dict_is_what_the_cli_prints(filled, writer, reader, backend, fixtures, cli):
    """Python and the CLI give the same candidates, in the same order, as the same JSON objects,
    whichever wrote the store; and Python on one store (local or on S3) agrees with the CLI on
    the other (local)."""
    store = filled(reader, backend).store()  # what Python reads (locally, a pathlib.Path)
    cli_root = filled(writer, "local").location  # what the CLI reads
    for f in fixtures:
        for zip_path, entry in sample(f.entries(), 6):
            project = f.projects[-1]
            if f.release:
                for url in (entry["url"], entry["url"] + "?v=3#frag"):
                    mine = [c.to_dict() for c in store.lookup_url(project, f.release, url,
                                                                  dist=f.dist)]
                    assert mine == cli_lookup_url(cli_root, project, f.release, f.dist, url)
            debug_id = debug_id_of(entry)
            if debug_id:
                mine = [c.to_dict() for c in store.lookup_debug_id(project, debug_id)]
                assert mine == cli_lookup_debug_id(cli_root, project, debug_id)
                mine = [c.to_dict() for c in store.lookup_debug_id(project, debug_id,
                                                                   type="source_map")]
                assert mine == cli_lookup_debug_id(cli_root, project, debug_id, "source_map")


def test_candidate_attributes_are_read_only(python_store, fixtures):
    f = next(f for f in fixtures if f.release)
    zip_path, entry = f.entries()[0]
    c = artidx.Store(python_store).lookup_url(f.projects[0], f.release, entry["url"],
                                              dist=f.dist)[0]
    d = c.to_dict()
    assert list(d) == ["bundle_id", "timestamp", "url", "path", "type", "debug_id", "sourcemap"]
    for name, value in d.items():
        assert getattr(c, name) == value
        with pytest.raises(AttributeError):
            setattr(c, name, value)
    assert "artidx.Candidate(" in repr(c) and c.bundle_id in repr(c)


def test_nothing_found(filled, backend, fixtures):
    store = filled("python", backend).store()
    f = next(f for f in fixtures if f.release)
    assert store.lookup_url(f.projects[0], f.release, "https://nowhere.example/x.js",
                            dist=f.dist) == []
    assert store.lookup_url(f.projects[0], "no-such-release", "~/x.js") == []
    assert store.lookup_url("no-such-project", f.release, "~/x.js") == []
    assert store.lookup_debug_id("no-such-project", "00000000-0000-0000-0000-000000000001") == []
    assert store.lookup_debug_id(f.projects[0], "00000000-0000-0000-0000-000000000001") == []
    zip_path, entry = f.entries()[0]
    assert store.lookup_url(f.projects[0], f.release, entry["url"], dist=f.dist,
                            type="indexed_ram_bundle") == []


def test_sourcemap_of_is_what_cat_sourcemap_prints(filled, backend, python_store, fixtures):
    store = filled("python", backend).store()
    checked = found_maps = 0
    for f in fixtures:
        for zip_path, entry in sample(f.entries(), 8):
            project = f.projects[0]
            if f.release:
                url = entry["url"]
                candidates = store.lookup_url(project, f.release, url, dist=f.dist)
                args = ["--release", f.release, "--url", url] + (["--dist", f.dist] if f.dist else [])
            elif debug_id_of(entry):
                url = ""
                candidates = store.lookup_debug_id(project, debug_id_of(entry))
                args = ["--debug-id", debug_id_of(entry)]
            else:
                continue
            assert candidates
            cat = run_cli("--store", python_store, "cat", "--project", project, *args,
                          "--sourcemap", check=False)
            assert cat.returncode in (0, 1), cat.stderr
            sourcemap = store.sourcemap_of(candidates[0])
            if cat.returncode == 1:
                assert sourcemap is None
            elif sourcemap is not None:  # None: an inline data: URL the file itself holds
                assert sourcemap.type == "source_map"
                assert store.read_file(sourcemap) == cat.stdout
                found_maps += 1
            checked += 1
    assert checked > 0 and found_maps > 0


def test_list_bundles_pages_as_ls(filled, backend, python_store, fixtures):
    """Pages of the store (local or on S3) are those `ls` prints of the local store."""
    store = filled("python", backend).store()
    for f in fixtures:
        project = f.projects[0]
        for release, dist in ((None, ""), (f.release or None, f.dist)):
            args = ["--store", python_store, "ls", "--project", project]
            if release:
                args += ["--release", release] + (["--dist", dist] if dist else [])
            whole = store.list_bundles(project, release, dist)
            assert whole == cli_json(*args)
            assert whole["next_cursor"] is None and whole["bundles"]
            paged, cursor = [], None
            while True:
                page = store.list_bundles(project, release, dist, limit=1, cursor=cursor)
                more = ["--cursor", cursor] if cursor else []
                assert page == cli_json(*args, "--limit", 1, *more)
                assert len(page["bundles"]) == 1
                paged += page["bundles"]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert paged == whole["bundles"]
            stamps = sorted({b["timestamp"] for b in whole["bundles"]})
            window = store.list_bundles(project, release, dist, since=stamps[0], until=stamps[0])
            assert window == cli_json(*args, "--since", stamps[0], "--until", stamps[0])
            assert all(b["timestamp"] == stamps[0] for b in window["bundles"])
    assert store.list_bundles("no-such-project") == {"bundles": [], "next_cursor": None}


@pytest.mark.parametrize("writer", ["python", "cli"])
def test_verify_finds_no_problem_in_what_was_added(filled, writer, backend):
    at = filled(writer, backend)
    assert at.store().verify() == []
    assert cli_json(*at.args("verify"))["problems"] == []


def test_verify_and_data_loss(tmp_path, fixtures):
    root = tmp_path / "store"
    indexer = artidx.Indexer(root)
    f = next(f for f in fixtures if f.release)
    indexer.add(f.path, projects="web", release="1.0", timestamp=1000)
    store = artidx.Store(root)
    assert store.verify() == []
    zip_path, entry = f.entries()[0]
    assert store.lookup_url("web", "1.0", entry["url"])

    # Flip a byte in the middle of every URL segment: verify names each, lookups raise DataLoss
    # with the message the CLI prints.
    segments = [p for p in root.rglob("*") if p.is_file() and "url" in str(p.relative_to(root))
                and p.parent.name != "refs" and p.suffix != ".zip"]
    assert segments
    for p in segments:
        data = bytearray(p.read_bytes())
        data[len(data) // 2] ^= 0xFF
        p.write_bytes(bytes(data))
    problems = store.verify()
    result = run_cli("--store", root, "verify", "--json", check=False)
    assert result.returncode == 1 and problems == json.loads(
        result.stdout.decode("utf-8", "surrogateescape"))["problems"]
    assert problems and all(str(root) in p for p in problems)
    with pytest.raises(artidx.DataLoss) as caught:
        artidx.Store(root).lookup_url("web", "1.0", entry["url"])
    result = run_cli("--store", root, "lookup", "--project", "web", "--release", "1.0", "--url",
                     entry["url"], check=False)
    assert result.returncode == 2
    assert str(caught.value) == result.stderr.decode()[len("artidx: "):-1]


def test_lookup_url_answers_are_remembered_until_the_index_changes(tmp_path, fixtures):
    """A URL looked up again in the same index gives the same Candidate objects; once the index
    changed (an add, seen at once with refresh_ms=0), the answer is looked up anew."""
    root = tmp_path / "store"
    indexer = artidx.Indexer(root)
    f = next(f for f in fixtures if f.release)
    zip_path, entry = f.entries()[0]
    project = f.projects[0]
    indexer.add(f.path, projects=project, release=f.release, dist=f.dist, timestamp=1000,
                bundle_id="first")
    store = artidx.Store(root, refresh_ms=0)
    first = store.lookup_url(project, f.release, entry["url"], dist=f.dist)
    again = store.lookup_url(project, f.release, entry["url"], dist=f.dist)
    assert [c.bundle_id for c in first] == ["first"]
    assert first == again and first is not again  # a new list of the same candidates
    assert all(a is b for a, b in zip(first, again))
    typed = store.lookup_url(project, f.release, entry["url"], dist=f.dist, type=entry["type"])
    assert typed == [c for c in first if c.type == entry["type"]]

    indexer.add(f.path, projects=project, release=f.release, dist=f.dist, timestamp=2000,
                bundle_id="second")
    after = store.lookup_url(project, f.release, entry["url"], dist=f.dist)
    assert [c.bundle_id for c in after] == ["second", "first"]
    assert [c.to_dict() for c in after] == [c.to_dict() for c in artidx.Store(root).lookup_url(
        project, f.release, entry["url"], dist=f.dist)]


def test_an_add_is_seen_within_refresh_ms(tmp_path, fixtures):
    """With refresh_ms > 0, lookup_url reuses the index it was given without asking the Store
    for a while: an add is still seen once refresh_ms have passed since it, not later."""
    root = tmp_path / "store"
    indexer = artidx.Indexer(root)
    f = next(f for f in fixtures if f.release)
    _, entry = f.entries()[0]
    project = f.projects[0]
    indexer.add(f.path, projects=project, release=f.release, dist=f.dist, timestamp=1000,
                bundle_id="first")
    refresh_ms = 300
    store = artidx.Store(root, refresh_ms=refresh_ms)
    for round in range(3):
        # Looked up just before the add, so that the index is remembered when it happens.
        assert store.lookup_url(project, f.release, entry["url"], dist=f.dist)
        indexer.add(f.path, projects=project, release=f.release, dist=f.dist,
                    timestamp=2000 + round, bundle_id=f"second{round}")
        added = time.monotonic()
        # The bound under test is a time: wait it out, looking up meanwhile.
        while time.monotonic() < added + refresh_ms / 1000:
            store.lookup_url(project, f.release, entry["url"], dist=f.dist)
        found = store.lookup_url(project, f.release, entry["url"], dist=f.dist)
        assert found[0].bundle_id == f"second{round}"


def test_an_empty_answer_is_not_remembered_past_an_add(tmp_path, fixtures):
    """An empty answer holds no Candidate: the index it came from is still what the remembered
    answer is checked against, so an add that brings the URL is seen, every time."""
    root = tmp_path / "store"
    indexer = artidx.Indexer(root)
    f = next(f for f in fixtures if f.release)
    _, entry = f.entries()[0]
    project = f.projects[0]
    store = artidx.Store(root, refresh_ms=0)
    for round in range(3):
        bundle_id = f"b{round}"
        indexer.add(f.path, projects=project, release=f.release, dist=f.dist,
                    timestamp=1000 * (2 * round + 1), bundle_id=bundle_id)
        indexer.remove(bundle_id, timestamp=1000 * (2 * round + 2))
        assert store.lookup_url(project, f.release, entry["url"], dist=f.dist) == []
        indexer.add(f.path, projects=project, release=f.release, dist=f.dist,
                    timestamp=1000 * (2 * round + 3), bundle_id=f"c{round}")
        found = store.lookup_url(project, f.release, entry["url"], dist=f.dist)
        assert [c.bundle_id for c in found][:1] == [f"c{round}"]
        indexer.remove(f"c{round}", timestamp=1000 * (2 * round + 4))


def test_a_store_on_s3_copies_what_it_maps_into_the_cache_given(tmp_path, monkeypatch,
                                                                 fixtures):
    """The segments a Store on S3 maps are copied into its cache directory (SPEC.md 18.4:
    <cache>/s3-<hex>/<key>), not into the default one; the Indexer's into its own."""
    at = new_store_at("s3", tmp_path, "store")
    monkeypatch.setenv("ARTIDX_CACHE", str(tmp_path / "default-cache"))
    f = next(f for f in fixtures if f.release and any(debug_id_of(e) for _, e in f.entries()))
    indexer = artidx.Indexer(at.location, cache=tmp_path / "indexer-cache")
    indexer.add(f.path, projects="web", release="1.0", timestamp=1000)
    indexer.add(f.path, projects="web", release="1.0", timestamp=2000, bundle_id="again")
    indexer.compact()  # maps the segments it merges

    def copies(cache):
        return sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file())

    assert copies(tmp_path / "indexer-cache")
    store = artidx.Store(at.location, cache=at.cache)
    assert not copies(at.cache)  # made when the store opens; nothing copied before a call
    zip_path, entry = f.entries()[0]
    found = store.lookup_url("web", "1.0", entry["url"])
    assert [c.timestamp for c in found] == [2000, 1000]
    assert store.read_file(found[0]) == f.read(zip_path)
    debug_id = next(debug_id_of(e) for _, e in f.entries() if debug_id_of(e))
    assert store.lookup_debug_id("web", debug_id)
    mine = copies(at.cache)
    segments = [p for p in mine if p.endswith(".aix")]
    assert any("/projects/web/urls/" in p for p in segments), mine
    assert any("/projects/web/debug-ids/" in p for p in segments), mine
    assert all(p.startswith("s3-") for p in mine), mine
    assert not (tmp_path / "default-cache").exists()


def test_cache_max_bytes_bounds_the_copies(tmp_path, fixtures):
    """With cache_max_bytes, a download first deletes the least recently used copies (here,
    under a limit of one byte, every other one); what was mapped stays readable."""
    at = new_store_at("s3", tmp_path, "store")
    f = next(f for f in fixtures if f.release)
    zip_path, entry = f.entries()[0]
    indexer = at.indexer()
    for release in ("r1", "r2"):
        indexer.add(f.path, projects="web", release=release, timestamp=1000)
    store = artidx.Store(at.location, cache=tmp_path / "small", cache_max_bytes=1)

    def segments():
        return sorted(str(p) for p in (tmp_path / "small").rglob("*.aix"))

    (first,) = store.lookup_url("web", "r1", entry["url"])
    r1 = segments()
    assert len(r1) == 1 and "/projects/web/urls/" in r1[0]
    (second,) = store.lookup_url("web", "r2", entry["url"])
    r2 = segments()
    assert len(r2) == 1 and "/projects/web/urls/" in r2[0] and r2 != r1
    assert store.lookup_url("web", "r1", entry["url"])[0].to_dict() == first.to_dict()
    assert store.read_file(first) == store.read_file(second) == f.read(zip_path)
