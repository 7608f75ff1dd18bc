#!/usr/bin/env python3
"""Turns the results table of bench/run into bench/results.json, a list of rows.

    results_json.py [--keep RESULTS_JSON] TABLE...

Reads markdown table rows ("| benchmark | workload | artidx | baseline | compared | target |
result |") from the files given (or standard input) and prints a JSON list with, per row:
benchmark, workload, artidx and baseline (the measured values as the table shows them, units
included), compared (the table's text), ratio (artidx ÷ baseline as a number, also for rows
that say "N× faster"; null when the row has none), target (text, null when only reported), met
(true, false, or null when there is no target) and source ("bench/run").

Every row of bench/results.json names the program that wrote it in `source`. Other programs
(bench/serve_bench.py, bench/python_bench.py) are run on their own and replace only their own
rows; with --keep, the rows of RESULTS_JSON whose source is not bench/run come after the new
ones, so that a run of bench/run keeps them.
"""
import json
import re
import sys

SOURCE = "bench/run"


def parse_row(line):
    line = line.split("\t", 1)[-1].strip()
    cells = [c.strip() for c in line.strip("|").split("|")]
    if len(cells) != 7 or cells[0] in ("benchmark", "") or set(cells[0]) <= set("-"):
        return None
    what, workload, artidx, baseline, compared, target, result = cells
    ratio = None
    m = re.match(r"([0-9.]+)×( faster)?", compared)
    if m:
        ratio = float(m.group(1))
        if m.group(2):
            ratio = 1 / ratio
    return {
        "benchmark": what,
        "workload": workload,
        "artidx": artidx,
        "baseline": baseline,
        "compared": compared,
        "ratio": ratio,
        "target": None if target == "—" else target,
        "met": {"met": True, "**missed**": False}.get(result),
        "source": SOURCE,
    }


def main():
    args = sys.argv[1:]
    kept = []
    if args[:1] == ["--keep"]:
        try:
            with open(args[1], encoding="utf-8") as f:
                kept = [r for r in json.load(f) if r.get("source") != SOURCE]
        except FileNotFoundError:
            pass
        args = args[2:]
    lines = []
    for name in args or ["-"]:
        with (sys.stdin if name == "-" else open(name, encoding="utf-8")) as f:
            lines += f.read().splitlines()
    rows = [r for r in map(parse_row, lines) if r]
    json.dump(rows + kept, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


main()
