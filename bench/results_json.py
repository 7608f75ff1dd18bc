#!/usr/bin/env python3
"""Turns the results table of bench/run into bench/results.json, a list of rows.

Reads markdown table rows ("| benchmark | workload | artidx | baseline | compared | target |
result |") from the files given (or standard input) and prints a JSON list with, per row:
benchmark, workload, artidx and baseline (the measured values as the table shows them, units
included), compared (the table's text), ratio (artidx ÷ baseline as a number, also for rows
that say "N× faster"; null when the row has none), target (text, null when only reported) and
met (true, false, or null when there is no target).

With --keep RESULTS_JSON, the rows of that file whose (benchmark, workload) the tables do not
have follow the tables' rows: the rows of scripts run apart (bench/python_bench.py,
bench/serve_bench.py) survive a bench/run. A row whose benchmark was renamed stays until it is
removed by hand.
"""
import json
import re
import sys


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
    }


def main():
    args = sys.argv[1:]
    kept = []
    if args[:1] == ["--keep"]:
        with open(args[1], encoding="utf-8") as f:
            kept = json.load(f)
        args = args[2:]
    lines = []
    for name in args or ["-"]:
        with (sys.stdin if name == "-" else open(name, encoding="utf-8")) as f:
            lines += f.read().splitlines()
    rows = [r for r in map(parse_row, lines) if r]
    keys = {(r["benchmark"], r["workload"]) for r in rows}
    rows += [r for r in kept if (r["benchmark"], r["workload"]) not in keys]
    json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


main()
