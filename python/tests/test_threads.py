"""Threads: one Store serves many threads with the answers one thread gets, and lookups, reads
and adds release the GIL, so that another Python thread runs while they work."""

import os
import subprocess
import sys
import textwrap
import threading

import artidx
from conftest import add_with_python


def test_one_store_many_threads(tmp_path, fixtures):
    root = tmp_path / "store"
    indexer = artidx.Indexer(root)
    for f in fixtures:
        add_with_python(indexer, f)
    store = artidx.Store(root)
    queries = [(f, zip_path, e) for f in fixtures if f.release for zip_path, e in f.entries()]
    expected = [[c.to_dict() for c in store.lookup_url(f.projects[0], f.release, e["url"],
                                                       dist=f.dist)] for f, _, e in queries]
    contents = {(f.path, zip_path): f.read(zip_path) for f, zip_path, _ in queries[::25]}

    threads_count, rounds = 8, 3
    start = threading.Barrier(threads_count)
    failures = []

    def work(seed):
        start.wait()  # all threads at once on a Store none of them opened yet
        try:
            for r in range(rounds):
                order = range(len(queries)) if (seed + r) % 2 else reversed(range(len(queries)))
                for i in order:
                    f, zip_path, e = queries[i]
                    found = store.lookup_url(f.projects[0], f.release, e["url"], dist=f.dist)
                    got = [c.to_dict() for c in found]
                    if got != expected[i]:
                        failures.append((i, got))
                    if (f.path, zip_path) in contents:
                        (mine,) = [c for c in found if c.path == zip_path and
                                   c.timestamp == f.timestamp]
                        if store.read_file(mine) != contents[(f.path, zip_path)]:
                            failures.append((i, "bytes"))
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append(repr(e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# The GIL check runs in a child process: a worker thread calls the library, which blocks in
# openat() of a FIFO until a writer opens it; the main thread, a Python thread, opens it only once
# it has seen (in /proc) the worker blocked there. It can only run to see that if the worker's
# call released the GIL; otherwise the child deadlocks, and the parent sees it time out instead of
# hanging itself.
GIL_CHECK = textwrap.dedent("""
    import errno, os, platform, sys, threading
    import artidx

    OPENAT = {"x86_64": 257, "aarch64": 56}[platform.machine()]
    method, root, fifo, *args = sys.argv[1:]
    store, indexer = artidx.Store(root), artidx.Indexer(root)
    call = {
        "lookup_url": lambda: store.lookup_url("web", "1.0", args[0]),
        "read_file": lambda c: store.read_file(c),
        "add": lambda: indexer.add(fifo, projects="web", release="2.0"),
    }[method]
    if method == "read_file":  # the lookup first, then the read alone in the worker
        found = next(c for c in store.lookup_url("web", "1.0", args[0]) if c.path == args[1])
        call = lambda call=call: call(found)
    started = []
    outcome = []

    def worker():
        started.append(threading.get_native_id())
        try:
            call()
            outcome.append("returned")
        except artidx.Error as e:
            outcome.append(type(e).__name__)

    t = threading.Thread(target=worker)
    t.start()
    while not started:
        pass
    syscall = f"/proc/self/task/{started[0]}/syscall"
    while True:
        with open(syscall) as f:
            fields = f.read().split()
        # Blocked in openat(): the worker stays there until a writer opens the FIFO, which only
        # this thread does, next; and this thread is running Python, so it holds the GIL.
        if fields and fields[0] == str(OPENAT):
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as e:  # ENXIO: no reader yet (the worker was opening another file)
                if e.errno != errno.ENXIO:
                    raise
    os.close(fd)
    t.join()
    print(outcome[0])
""")


def run_gil_check(method, root, fifo, *args):
    result = subprocess.run([sys.executable, "-c", GIL_CHECK, method, str(root), str(fifo),
                             *map(str, args)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_reads_and_adds_release_the_gil(tmp_path, fixtures):
    f = next(f for f in fixtures if f.release)
    zip_path, entry = f.entries()[0]

    # (lookup_url opens no file that a FIFO can stand in for: the local backend lists only
    # regular files, so a FIFO among an index's segments is not a segment.)
    # A read whose archive is a FIFO.
    errors = {"Error", "DataLoss", "InvalidArgument", "NotFound"}  # a FIFO is no file to map
    root = tmp_path / "read"
    artidx.Indexer(root).add(f.path, projects="web", release="1.0")
    (archive,) = (root / "bundles").rglob("*.zip")
    archive.unlink()
    os.mkfifo(archive)
    assert run_gil_check("read_file", root, archive, entry["url"], zip_path) in errors

    # An add of a bundle that is a FIFO.
    root = tmp_path / "add"
    fifo = tmp_path / "bundle.zip"
    os.mkfifo(fifo)
    assert run_gil_check("add", root, fifo) == "InvalidBundle"
