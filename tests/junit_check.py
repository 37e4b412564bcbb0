#!/usr/bin/env python3
"""Checks a run folder's junit.xml (lua/robolua/reports/junit.lua) against its results.json.

usage: junit_check.py RUN_DIR [--expect SUITE:KIND:SUBSTRING ...]

- the document parses as XML, root <testsuites>, every <testsuite> and the root carry tests/failures/
  errors/skipped counts that equal what their <testcase> children hold;
- the gates suite has one case per gate of results.json (plus "the run finished" when the run was
  interrupted), each with the outcome its status maps to; the points suite one case per result, an ok
  result with its median (seconds) as the time attribute;
- each --expect names a suite ("gates", "points", "baseline"), an outcome ("passed", "failure", "error",
  "skipped", or "any": the case exists) and a substring of a case's name that must have that outcome.
Prints one line per problem and exits 1 if there is any.
"""
import json
import sys
import xml.etree.ElementTree as ET

GATE = {"pass": "passed", "fail": "failure", "error": "error", "skip": "skipped", "inconclusive": "skipped"}
POINT = {"ok": "passed", "failed_verification": "failure", "error": "error", "skipped": "skipped",
         "interrupted": "skipped", "not_run": "skipped"}


def outcome(case):
    for kind in ("failure", "error", "skipped"):
        if case.find(kind) is not None:
            return kind
    return "passed"


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    run_dir, expects = argv[1], []
    i = 2
    while i < len(argv):
        if argv[i] != "--expect" or i + 1 >= len(argv):
            print("junit_check: unknown argument " + argv[i])
            return 2
        expects.append(argv[i + 1].split(":", 2))
        i += 2
    problems = []
    root = ET.parse(run_dir + "/junit.xml").getroot()
    doc = json.load(open(run_dir + "/results.json"))
    if root.tag != "testsuites":
        problems.append("root element is <%s>, not <testsuites>" % root.tag)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suites = {}
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        kinds = [outcome(c) for c in cases]
        have = {"tests": len(cases), "failures": kinds.count("failure"), "errors": kinds.count("error"),
                "skipped": kinds.count("skipped")}
        for k, v in have.items():
            totals[k] += v
            if suite.get(k) != str(v):
                problems.append("suite %s: %s=%s but it holds %d" % (suite.get("name"), k, suite.get(k), v))
        suites[suite.get("name").split(": ", 1)[1].split(" ")[0]] = cases
    for k, v in totals.items():
        if root.get(k) != str(v):
            problems.append("testsuites: %s=%s but the suites hold %d" % (k, root.get(k), v))

    gates = [c for c in suites.get("gates", []) if c.get("name") != "the run finished"]
    if [c.get("name") for c in gates] != [g["name"] for g in doc["gates"]]:
        problems.append("the gates suite's cases are not results.json's gates in order")
    for case, gate in zip(gates, doc["gates"]):
        want = GATE[gate["status"]]
        if doc.get("shard") and not doc.get("merge") and want == "failure":
            want = "skipped"  # a shard's failures are provisional (robolua merge judges the sweep)
        if outcome(case) != want:
            problems.append("gate '%s': %s in junit.xml, %s in results.json" % (gate["name"], outcome(case), gate["status"]))
    finished = [c for c in suites.get("gates", []) if c.get("name") == "the run finished"]
    if bool(doc.get("interrupted")) and not finished:
        problems.append("an interrupted run without the 'the run finished' error case")

    points = suites.get("points", [])
    if len(points) != len(doc["results"]):
        problems.append("points suite: %d cases for %d results" % (len(points), len(doc["results"])))
    for case, r in zip(points, doc["results"]):
        if not case.get("name").startswith(r["key"] + " [" + r["backend"]):
            problems.append("point case '%s' is not result '%s %s'" % (case.get("name"), r["key"], r["backend"]))
        if outcome(case) != POINT[r["status"]]:
            problems.append("point '%s': %s in junit.xml, %s in results.json" % (case.get("name"), outcome(case), r["status"]))
        if r["status"] == "ok" and case.get("time") is None:
            problems.append("point '%s': measured, but no time attribute" % case.get("name"))
        elif r["status"] == "ok" and abs(float(case.get("time")) - r["stats"]["median"] / 1e3) > 1e-9:
            problems.append("point '%s': time %s is not its median %g ms" % (case.get("name"), case.get("time"), r["stats"]["median"]))

    if doc.get("baseline") and "baseline" not in suites:
        problems.append("results.json has a baseline comparison and junit.xml no baseline suite")
    for suite, kind, text in expects:
        hits = [c for c in suites.get(suite, []) if text in c.get("name") and kind in (outcome(c), "any")]
        if not hits:
            problems.append("no %s case in suite %s whose name holds '%s'" % (kind, suite, text))
    for p in problems:
        print("junit_check: %s: %s" % (run_dir, p))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
