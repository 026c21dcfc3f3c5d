"""Helpers shared by the bench comparison scripts (ssh_compare.py,
tls_compare.py): hyperfine medians and the command line."""
import json
import os
import statistics
import sys


def medians(path):
    """Median wall time (s) and exit codes of each command of a hyperfine
    export, by command name; empty when the export is missing."""
    if not os.path.exists(path):
        return {}
    out = {}
    for r in json.load(open(path))["results"]:
        out[r["command"]] = {"median": statistics.median(r["times"]), "runs": len(r["times"]),
                             "failed": sum(1 for c in r.get("exit_codes", []) if c != 0)}
    return out


def main(doc, endpoints, report):
    """The scripts' command line: `endpoints MANIFEST` prints one
    tab-separated line an endpoint; `report DIR META` compares and writes
    the docs section. Returns the exit status."""
    if len(sys.argv) == 3 and sys.argv[1] == "endpoints":
        for e in endpoints(sys.argv[2]):
            print("\t".join(map(str, e)))
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
        return 0
    print(doc, file=sys.stderr)
    return 2
