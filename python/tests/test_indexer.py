"""artidx.Indexer and artidx.make_bundle: every method, on twin stores, one written through
Python and one through the CLI, which must end byte for byte alike and answer alike; the
Python one on a local directory and on S3."""

import json
import os
import pathlib
import time

import pytest

import artidx
from conftest import add_with_cli, add_with_python, cli_error, cli_json, run_cli, snapshot


def index_files(root):
    """The store's index files (segments), which the same operations make byte-identical."""
    return {k: v for k, v in snapshot(root).items() if k.startswith("projects")}


def listings(store, fixtures):
    """Every list_bundles page of every project and release of the fixtures."""
    return {(p, f.release, f.dist): (store.list_bundles(p), store.list_bundles(
        p, f.release or None, f.dist if f.release else ""))
        for f in fixtures for p in f.projects}


def test_add_returns_what_the_cli_prints_and_writes_the_same_store(new_store, tmp_path,
                                                                   fixtures):
    py, cli_root = new_store("py"), tmp_path / "cli"
    indexer = artidx.Indexer(str(py.location), cache=str(py.cache))
    for f in fixtures:
        added = add_with_python(indexer, f)
        assert added == add_with_cli(cli_root, f)
        assert len(added) == 1 and added[0]["files"] == len(f.manifest["files"])
    indexer.compact()
    run_cli("--store", cli_root, "compact")
    if py.backend == "local":
        assert index_files(py.location) == index_files(cli_root)
    assert listings(py.store(), fixtures) == listings(artidx.Store(cli_root), fixtures)
    assert py.store().verify() == []


def test_add_several_bundles_one_call(new_store, fixtures):
    release_fixtures = [f for f in fixtures if f.release][:2]
    paths = [pathlib.Path(f.path) for f in release_fixtures]
    at = new_store()
    added = at.indexer().add(paths, projects=["a", "b"], release="r@1", timestamp=5)
    assert [a["bundle"] for a in added] == [str(p) for p in paths]
    store = at.store()
    for f in release_fixtures:
        zip_path, entry = f.entries()[0]
        for project in ("a", "b"):
            assert any(c.path == zip_path for c in store.lookup_url(project, "r@1", entry["url"]))


def test_add_debug_ids_only_and_bundle_id(new_store, fixtures):
    f = next(f for f in fixtures if any("debug-id" in e.get("headers", {})
                                        for _, e in f.entries()))
    at = new_store()
    (added,) = at.indexer().add(f.path, projects="p", bundle_id="my-bundle.1", timestamp=7)
    assert added["bundle_id"] == "my-bundle.1" and added["timestamp"] == 7
    store = at.store()
    assert store.list_bundles("p")["bundles"] == [
        {"bundle_id": "my-bundle.1", "timestamp": 7, "files": added["debug_id_files"]}]


def test_remove_compact_and_the_cli_agree(new_store, tmp_path, fixtures):
    py, cli_root = new_store("py"), tmp_path / "cli"
    py_root = py.location
    indexer = py.indexer()
    f = next(f for f in fixtures if f.release and len(f.projects) > 1)
    (added,) = add_with_python(indexer, f)
    add_with_cli(cli_root, f)
    bundle_id = added["bundle_id"]

    removed = indexer.remove(bundle_id, projects=f.projects[0], timestamp=f.timestamp + 1)
    expected = cli_json("--store", cli_root, "rm", bundle_id, "--project", f.projects[0],
                        "--timestamp", f.timestamp + 1)
    assert json.loads(json.dumps(removed).replace(str(py_root), str(cli_root))) == expected
    assert removed["indexes"] and removed["archives_deleted"] is False
    zip_path, entry = f.entries()[0]
    store = py.store(refresh_ms=0)
    assert store.lookup_url(f.projects[0], f.release, entry["url"], dist=f.dist) == []
    assert store.lookup_url(f.projects[1], f.release, entry["url"], dist=f.dist)

    removed = indexer.remove(bundle_id, timestamp=f.timestamp + 2)
    assert removed["archives_deleted"] is True
    run_cli("--store", cli_root, "rm", bundle_id, "--timestamp", f.timestamp + 2)
    assert store.lookup_url(f.projects[1], f.release, entry["url"], dist=f.dist) == []
    indexer.compact(f.projects[0])
    indexer.compact()
    run_cli("--store", cli_root, "compact")
    for project in f.projects:
        for release in (None, f.release):
            page = store.list_bundles(project, release, f.dist if release else "")
            ls = ["--store", cli_root, "ls", "--project", project,
                  *(["--release", release, "--dist", f.dist] if release else [])]
            if page["bundles"]:
                assert page == cli_json(*ls)
            else:  # `ls` says "nothing listed" by its exit status, as `lookup` does
                assert page == {"bundles": [], "next_cursor": None}
                assert run_cli(*ls, "--json", check=False).returncode == 1
    if py.backend == "local":
        assert [len(list(d.iterdir())) for d in (py_root / "projects").glob("*/*")] == [
            1] * len(list((py_root / "projects").glob("*/*")))  # compacted: one segment each

    with pytest.raises(artidx.NotFound) as caught:
        indexer.remove("no-such-bundle")
    assert str(caught.value) == cli_error(*py.args("rm", "no-such-bundle"))


def test_gc_hold_unhold(new_store, fixtures):
    at = new_store()
    indexer = at.indexer()
    release_fixtures = [f for f in fixtures if f.release]
    ids = [add_with_python(indexer, f)[0]["bundle_id"] for f in release_fixtures]
    held = ids[0]
    indexer.hold(held)
    # An object store's clock may put a just-written archive up to a second ahead (Swift rounds
    # Last-Modified up): wait until, by that clock, every add is older than now.
    deadline = time.monotonic() + 10
    while True:
        dry = indexer.gc(0, dry_run=True)
        if sorted(dry["removed"]) == sorted(set(ids) - {held}) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert dry == cli_json(*at.args("gc", "--max-age", 0, "--dry-run"))
    assert dry["dry_run"] is True and held not in dry["removed"]
    assert sorted(dry["removed"]) == sorted(set(ids) - {held})

    kept = indexer.gc(0, keep_newest=1)
    assert kept["dry_run"] is False and held not in kept["removed"]
    indexer.unhold(held)
    assert held in indexer.gc(0, dry_run=True)["removed"]
    final = indexer.gc(0)
    assert held in final["removed"]
    assert all(at.store().list_bundles(p)["bundles"] == []
               for p in {p for f in release_fixtures for p in f.projects})
    with pytest.raises(artidx.NotFound) as caught:
        indexer.hold("no-such-bundle")
    assert str(caught.value) == cli_error(*at.args("hold", "no-such-bundle"))
    with pytest.raises(artidx.NotFound):
        indexer.unhold("no-such-bundle")


def test_rebuild_restores_deleted_indexes(tmp_path, fixtures):
    root = tmp_path / "s"
    indexer = artidx.Indexer(root)
    for f in fixtures:
        add_with_python(indexer, f)
    store = artidx.Store(root, refresh_ms=0)
    f = next(f for f in fixtures if f.release)
    zip_path, entry = f.entries()[0]
    before = [c.to_dict() for c in store.lookup_url(f.projects[0], f.release, entry["url"],
                                                    dist=f.dist)]
    assert before
    for index_dir in (root / "projects").glob("*/urls/*"):
        for p in index_dir.iterdir():
            p.unlink()
    assert artidx.Store(root).lookup_url(f.projects[0], f.release, entry["url"],
                                         dist=f.dist) == []
    rebuilt = indexer.rebuild()
    assert rebuilt["indexes"] and rebuilt["lost"] == [] and not rebuilt["dry_run"]
    assert [c.to_dict() for c in artidx.Store(root).lookup_url(
        f.projects[0], f.release, entry["url"], dist=f.dist)] == before
    assert indexer.rebuild() == cli_json("--store", root, "rebuild")


def test_rebuild_salvages_a_damaged_reference(tmp_path, fixtures):
    root = tmp_path / "s"
    indexer = artidx.Indexer(root)
    for f in fixtures:
        add_with_python(indexer, f)
    ref = sorted((root / "bundles").glob("*/refs/*.ref"))[0]
    valid = ref.read_bytes()
    ref.write_bytes(b"garbage\n")
    before = snapshot(root)
    dry = indexer.rebuild(dry_run=True)
    assert dry["dry_run"] and snapshot(root) == before
    assert [r["reference"] for r in dry["recovered"]] == [str(ref)]
    assert [f["file"] for f in dry["set_aside"]] == [str(ref)] and dry["set_aside"][0]["to"] == ""
    rebuilt = indexer.rebuild()
    assert rebuilt["recovered"] == dry["recovered"] and rebuilt["lost"] == []
    assert pathlib.Path(rebuilt["set_aside"][0]["to"]).read_bytes() == b"garbage\n"
    assert ref.read_bytes() == valid
    assert artidx.Store(root).verify() == []


def test_make_bundle_as_the_cli(tmp_path):
    src = tmp_path / "build"
    (src / "static" / "lib").mkdir(parents=True)
    (src / "static" / "app.min.js").write_text("function a(){}\n//# sourceMappingURL=app.min.js.map\n")
    (src / "static" / "app.min.js.map").write_text('{"version":3,"sources":["a.js"],"mappings":"AAAA"}')
    (src / "static" / "lib" / "lib.mjs").write_text("export const l = 1;\n")
    (src / "notes.txt").write_text("not a script")

    made = artidx.make_bundle(src, tmp_path / "py.zip", url_prefix="https://cdn.example/",
                              attributes={"release": "1.0", "org": "acme"})
    assert made["files"] == 3
    out = run_cli("make-bundle", src, "-o", tmp_path / "cli.zip", "--url-prefix",
                  "https://cdn.example/", "--attribute", "release=1.0", "--attribute", "org=acme")
    assert out.stdout.decode() == f"{tmp_path / 'cli.zip'}: bundle {made['bundle_id']}, 3 files\n"
    assert (tmp_path / "py.zip").read_bytes() == (tmp_path / "cli.zip").read_bytes()

    made = artidx.make_bundle(str(src), os.fsencode(tmp_path / "id.zip"),
                              bundle_id="ABCDEF01-2345-4678-9ABC-DEF012345678")
    assert made == {"bundle_id": "abcdef01-2345-4678-9abc-def012345678", "files": 3}
    indexer = artidx.Indexer(tmp_path / "s")
    (added,) = indexer.add(tmp_path / "id.zip", projects="web", release="1.0")
    assert added["bundle_id"] == made["bundle_id"]
    store = artidx.Store(tmp_path / "s")
    (c,) = store.lookup_url("web", "1.0", "https://any.host/static/app.min.js?v=1")
    assert c.url == "~/static/app.min.js" and c.sourcemap == "app.min.js.map"
    assert store.read_file(c) == (src / "static" / "app.min.js").read_bytes()
    sourcemap = store.sourcemap_of(c)
    assert sourcemap.url == "~/static/app.min.js.map"
    assert store.read_file(sourcemap) == (src / "static" / "app.min.js.map").read_bytes()


def test_make_bundle_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        ((empty, tmp_path / "o.zip"), {}, ["make-bundle", empty, "-o", tmp_path / "o.zip"]),
        ((tmp_path / "missing", tmp_path / "o.zip"), {},
         ["make-bundle", tmp_path / "missing", "-o", tmp_path / "o.zip"]),
    ]
    for args, kwargs, cli_args in cases:
        with pytest.raises(artidx.InvalidArgument) as caught:
            artidx.make_bundle(*args, **kwargs)
        assert str(caught.value) == cli_error(*cli_args)
    (empty / "a.js").write_text("1")
    for attributes in ({"files": "x"}, {"debug_id": "x"}, {"": "x"}):
        with pytest.raises(artidx.InvalidArgument, match="not a free attribute"):
            artidx.make_bundle(empty, tmp_path / "o.zip", attributes=attributes)
    with pytest.raises(artidx.InvalidArgument) as caught:
        artidx.make_bundle(empty, tmp_path / "o.zip", bundle_id="nope")
    assert str(caught.value) == cli_error("make-bundle", empty, "-o", tmp_path / "o.zip",
                                          "--bundle-id", "nope")
    with pytest.raises(TypeError):
        artidx.make_bundle(empty, tmp_path / "o.zip", attributes={"a": 1})
    assert not (tmp_path / "o.zip").exists()
