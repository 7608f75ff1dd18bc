"""The Python package against the baselines a Python user has, on the benchmark workloads.

    python bench/python_bench.py --corpus build-bench/bench/artidx-corpus --cli build/artidx \\
        [--workloads W1,W4] [--out DIR] [--results bench/results.json]

Run with the interpreter artidx is installed in (README, "Python"). For each workload it writes
(once, into --out) the store, the RFC 0106 JSON and 1,000 present frame URLs with
artidx-corpus, then measures, artidx and its baseline alternately in the same run:

  python_lookup_url/<W>   Store.lookup_url of the present frame URLs (a warm Store) ÷ a dict
                          lookup of the same answers held as lists of tuples;
  python_binding_floor/<W>  the same calls of Floor.lookup_url (bench/binding_floor.cc, compiled
                          here with the system's pybind11): a method of lookup_url's signature
                          that only returns a list of two objects made before, the floor of
                          any call through the binding; measured in the same alternation, and
                          lookup_url ÷ that floor;
  python_open_first/<W>   a new Store + its first lookup_url ÷ json.load of the RFC 0106 index
                          JSON, then the dict lookup of the URL (as Sentry's Python did);
  python_add/W1           Indexer.add of a 100-file W1 bundle ÷ `artidx add` of another one
                          (process start included), both into a store holding W1 (reported).

Lookups and opens are timed in CPU time of the thread (time.thread_time_ns), the median over
repetitions of a batch, artidx and baseline alternately: the machine is shared, and wall time
there includes tens of milliseconds of waiting for a CPU that neither side spends. Adds are
timed in wall time (the CLI runs in another process). The answers of artidx and the baseline are
checked to be equal before anything is timed. Prints the rows and, with --results, replaces
this script's rows in that JSON list (keeping other benchmarks' rows).
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import artidx

SOURCE = "bench/python_bench.py"


def ensure_workload(corpus, name, out):
    """The workload's store, JSON and queries (and, for W1, its bundles) under out/name."""
    d = out / name
    if not (d / "present.txt").exists():
        args = [str(corpus), name, "--out", str(d), "--store", "--json", "--queries", "1000"]
        if name == "W1":
            args.append("--bundles")
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return d


def url_index_identity(cli, store_dir):
    """(project, release, dist) of the workload's one URL index, as `artidx ls` lists it."""
    for project_dir in (store_dir / "projects").iterdir():
        listed = subprocess.run([str(cli), "--store", str(store_dir), "ls", "--project",
                                 project_dir.name, "--releases", "--json"],
                                check=True, capture_output=True).stdout
        releases = json.loads(listed)["releases"]
        if releases:
            return project_dir.name, releases[0]["release"], releases[0]["dist"]
    raise SystemExit(f"{store_dir} has no URL index")


def median_ns_per_op(fn, ops, repeat):
    samples = []
    for _ in range(repeat):
        start = time.thread_time_ns()
        fn()
        samples.append((time.thread_time_ns() - start) / ops)
    return statistics.median(samples)


def alternate(a, b, ops_a, ops_b, repeat):
    """Median ns per op of a and of b, run alternately so that load falls on both alike."""
    return alternate_all([(a, ops_a), (b, ops_b)], repeat)


def alternate_all(runs, repeat):
    """Median ns per op of each (fn, ops) of runs, run in turn, repeat times."""
    samples = [[] for _ in runs]
    for _ in range(repeat):
        for (fn, ops), out in zip(runs, samples):
            out.append(median_ns_per_op(fn, ops, 1))
    return [statistics.median(s) for s in samples]


def binding_floor(scratch):
    """bench/binding_floor.cc compiled against the system's pybind11 and imported."""
    import importlib.util
    import sysconfig

    import pybind11

    source = Path(__file__).resolve().parent / "binding_floor.cc"
    built = scratch / ("binding_floor" + sysconfig.get_config_var("EXT_SUFFIX"))
    if not built.exists() or built.stat().st_mtime < source.stat().st_mtime:
        scratch.mkdir(parents=True, exist_ok=True)
        subprocess.run(["c++", "-O2", "-shared", "-fPIC", "-std=c++17", "-fvisibility=hidden",
                        "-I", pybind11.get_include(), "-I", sysconfig.get_paths()["include"],
                        str(source), "-o", str(built)], check=True)
    spec = importlib.util.spec_from_file_location("binding_floor", built)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lookup_rows(name, d, cli, repeat, floor_module):
    store_dir = d / "store"
    project, release, dist = url_index_identity(cli, store_dir)
    frames = (d / "present.txt").read_text().split()
    store = artidx.Store(store_dir)
    as_tuples = {}
    for url in frames:
        found = store.lookup_url(project, release, url, dist=dist)
        assert found, url
        as_tuples[url] = [(c.bundle_id, c.timestamp, c.url, c.path, c.type, c.debug_id,
                           c.sourcemap) for c in found]
    # Same answers: the tuples built from the candidates of a second pass.
    for url in frames:
        assert [tuple(c.to_dict().values()) for c in store.lookup_url(
            project, release, url, dist=dist)] == as_tuples[url]

    lookup = store.lookup_url
    floor_lookup = floor_module.Floor().lookup_url

    def run_artidx():
        for url in frames:
            lookup(project, release, url, dist=dist)

    def run_floor():
        for url in frames:
            floor_lookup(project, release, url, dist=dist)

    def run_dict():
        for url in frames:
            as_tuples[url]

    n = len(frames)
    a, f, b = alternate_all([(run_artidx, n), (run_floor, n), (run_dict, n)], repeat)
    rows = [row(f"python_lookup_url/{name} (ns per lookup)", name, a, b, "<= 3x", a / b <= 3),
            row(f"python_binding_floor/{name} (ns per call of a no-op pybind11 method with "
                "lookup_url's signature returning a list of two objects; baseline: dict)",
                name, f, b, "reported", None),
            row(f"python_lookup_url_over_floor/{name} (ns per lookup; baseline: the binding "
                "floor above, same run)", name, a, f, "<= 2x (proposed)", a / f <= 2)]

    # Open + first lookup against json.load of the RFC 0106 JSON + dict lookup.
    index_json = d / "index.json"
    first = frames[0]
    key = store.lookup_url(project, release, first, dist=dist)[0].url

    def open_artidx():
        found = artidx.Store(store_dir).lookup_url(project, release, first, dist=dist)
        assert found

    def open_json():
        with open(index_json, "rb") as f:
            data = json.load(f)
        assert data["files_by_url"][key]

    json_repeat = max(3, min(repeat, 7)) if name == "W4" else repeat
    a, b = alternate(open_artidx, open_json, 1, 1, json_repeat)
    rows.append(row(f"python_open_first/{name} (us per open and lookup; checksums verified)",
                    name, a / 1000, b / 1000, ">= 100x faster", b / a >= 100))

    def open_artidx_unchecked():
        found = artidx.Store(store_dir, verify_checksums=False).lookup_url(project, release,
                                                                          first, dist=dist)
        assert found

    a, b = alternate(open_artidx_unchecked, open_json, 1, 1, json_repeat)
    rows.append(row(f"python_open_first/{name} (us per open and lookup; verify_checksums=False)",
                    name, a / 1000, b / 1000, ">= 100x faster", b / a >= 100))
    return rows


def add_row(d, cli, scratch, repeat):
    """Indexer.add of a 100-file bundle and `artidx add` of another, into copies of W1."""
    adds = [line.split("\t") for line in (d / "adds.tsv").read_text().splitlines()]
    bundles = [Path(a[0]) for a in adds]
    project, release = adds[0][1], adds[0][2]
    store_dir = scratch / "add-store"
    if store_dir.exists():
        shutil.rmtree(store_dir)
    shutil.copytree(d / "store", store_dir)
    indexer = artidx.Indexer(store_dir)
    py_times, cli_times = [], []
    timestamp = 1_800_000_000_000
    for i in range(repeat):
        mine, theirs = bundles[(2 * i) % len(bundles)], bundles[(2 * i + 1) % len(bundles)]
        timestamp += 2
        start = time.perf_counter_ns()
        (added,) = indexer.add(mine, projects=project, release=release, timestamp=timestamp)
        py_times.append(time.perf_counter_ns() - start)
        assert added["files"] == 100, added
        start = time.perf_counter_ns()
        subprocess.run([str(cli), "--store", str(store_dir), "add", str(theirs), "--project",
                        project, "--release", release, "--timestamp", str(timestamp + 1)],
                       check=True, stdout=subprocess.DEVNULL)
        cli_times.append(time.perf_counter_ns() - start)
    a, b = statistics.median(py_times) / 1e6, statistics.median(cli_times) / 1e6
    return row("python_add/W1 (ms per 100-file bundle; baseline: artidx add)", "W1", a, b,
               "reported", None)


def row(benchmark, workload, a, b, target, met):
    return {"benchmark": benchmark, "workload": workload, "artidx": round(a, 3),
            "baseline": round(b, 3), "ratio": round(a / b, 4), "target": target, "met": met,
            "source": SOURCE}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, type=Path, help="the artidx-corpus binary")
    parser.add_argument("--cli", required=True, type=Path, help="the artidx binary")
    parser.add_argument("--workloads", default="W1,W4")
    parser.add_argument("--out", type=Path, default=Path("/tmp/artidx-python-bench"))
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--results", type=Path, help="bench/results.json to update")
    args = parser.parse_args()

    rows = []
    floor_module = binding_floor(args.out)
    for name in args.workloads.split(","):
        d = ensure_workload(args.corpus, name, args.out)
        rows += lookup_rows(name, d, args.cli, args.repeat, floor_module)
        if name == "W1":
            rows.append(add_row(d, args.cli, args.out, args.repeat))
    for r in rows:
        print(json.dumps(r))
    if args.results:
        existing = json.loads(args.results.read_text()) if args.results.exists() else []
        # This script's rows of the workloads measured are replaced; bench/run keeps them.
        measured = {r["workload"] for r in rows}
        kept = [r for r in existing
                if r.get("source") != SOURCE or r["workload"] not in measured]
        args.results.write_text(json.dumps(kept + rows, indent=1, ensure_ascii=False) + "\n",
                                encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
