#!/usr/bin/env python3
"""Machine-readable reports of `netverify check`, read back by real parsers.

- SARIF validates against the official OASIS SARIF 2.1.0 schema (tests/check/
  sarif-schema-2.1.0.json, JSON Schema draft-04) and says what it should: the rules used,
  levels, relative URIs with a uriBaseId, lines and columns, fingerprints.
- JUnit XML parses (xml.etree) with one testsuite per group, one testcase per policy
  (plus the proved properties) and per baseline direction, and <failure> elements where
  the check fails.
- JSON parses and agrees with the exit status; GitHub commands have the documented shape.

Usage: validate_reports.py NETVERIFY (run from the repository root).
"""
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import jsonschema

NETVERIFY = os.path.abspath(sys.argv[1])
HERE = os.path.dirname(os.path.abspath(__file__))
GUIDE = ["--cluster", "corpus/guide/cluster.yaml", "corpus/guide/policies"]
TYPO = ["--baseline", "corpus/guide/policies", "--fail-on-diff", "new-allow", "corpus/equiv/guide-metrics-port-typo"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, output_file=None):
    env = dict(os.environ, NO_COLOR="1")
    p = subprocess.run([NETVERIFY, "check"] + args, capture_output=True, text=True, env=env, timeout=120)
    return p


def report(fmt, args):
    """Runs with -o FMT --output-file; returns (exit status, file text, stdout)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "report")
        p = run(["-o", fmt, "--output-file", path] + args)
        text = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        check(sorted(os.listdir(d)) == (["report"] if text is not None else []), f"{fmt}: only the report is left in the directory")
        return p.returncode, text, p.stdout


# ---- SARIF ------------------------------------------------------------------------------
schema = json.load(open(os.path.join(HERE, "sarif-schema-2.1.0.json"), encoding="utf-8"))
validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def valid_sarif(doc, show=True):
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors[:5] if show else []:
        print("  schema:", "/".join(map(str, e.path)), e.message)
    return not errors


status, text, stdout = report("sarif", GUIDE)
check(status == 1, f"guide: exit 1 (got {status})")
check(stdout.startswith("FAIL: 7 findings"), "guide: the summary line on stdout")
sarif = json.loads(text)
check(valid_sarif(sarif), "guide SARIF validates against the SARIF 2.1.0 schema")
run0 = sarif["runs"][0]
driver = run0["tool"]["driver"]
check(driver["name"] == "netverify" and driver["version"] and driver["informationUri"], "driver name, version, informationUri")
rule_ids = [r["id"] for r in driver["rules"]]
results = run0["results"]
check(len(results) == 7, f"guide: 7 results (got {len(results)})")
check(sorted(rule_ids) == sorted(set(r["ruleId"] for r in results)), "one rule per code used")
for r in driver["rules"]:
    check(r["shortDescription"]["text"] and r["helpUri"].startswith("https://"), f"rule {r['id']} describes itself")
    check(r["defaultConfiguration"]["level"] in ("error", "warning", "note"), f"rule {r['id']} default level")
by_rule = {}
for r in results:
    check(driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"], "ruleIndex points at the rule")
    loc = r["locations"][0]["physicalLocation"]
    check(loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%", "uriBaseId")
    uri = loc["artifactLocation"]["uri"]
    check(not uri.startswith("/") and os.path.exists(uri), f"relative URI of an existing file: {uri}")
    check(loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1, "region start")
    check(re.fullmatch(r"[0-9a-f]{32}:\d+", r["partialFingerprints"]["netverify/v1"]) is not None, "fingerprint shape")
    by_rule.setdefault(r["ruleId"], []).append(r)
web = by_rule["NV8010"][0]
check(web["level"] == "warning", "NV8010 is a warning here")
check(web["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "corpus/guide/policies/web-tier-policy.yaml", "NV8010 file")
check(web["locations"][0]["physicalLocation"]["region"] == {"startLine": 28, "startColumn": 5}, "NV8010 line 28 column 5")
fps = [r["partialFingerprints"]["netverify/v1"] for r in results]
check(len(set(fps)) == len(fps), "fingerprints are distinct")

# The schema test can fail: a broken document is rejected.
broken = copy.deepcopy(sarif)
del broken["runs"][0]["tool"]["driver"]["name"]
broken["runs"][0]["results"][0]["level"] = "fatal"
check(not valid_sarif(broken, show=False), "the schema rejects a SARIF log without driver.name and with level 'fatal'")

# Moving a policy to other lines keeps its fingerprints.
with tempfile.TemporaryDirectory() as d:
    src = open("corpus/guide/policies/web-tier-policy.yaml", encoding="utf-8").read()
    open(os.path.join(d, "web.yaml"), "w", encoding="utf-8").write("# moved\n" * 40 + src)
    moved = [report("sarif", [os.path.join(d, "web.yaml")])[1], report("sarif", ["corpus/guide/policies/web-tier-policy.yaml"])[1]]
    a, b = (json.loads(m)["runs"][0]["results"] for m in moved)
    check([r["partialFingerprints"] for r in a] == [r["partialFingerprints"] for r in b], "fingerprints survive moving the policy")
    check([r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in a]
          == [r["locations"][0]["physicalLocation"]["region"]["startLine"] + 40 for r in b], "but lines follow it")

# Baseline regions are results too, and the log still validates.
status, text, _ = report("sarif", TYPO)
sarif = json.loads(text)
check(valid_sarif(sarif), "baseline SARIF validates")
ids = [r["ruleId"] for r in sarif["runs"][0]["results"]]
check(ids.count("NV4030") == 2 and ids.count("NV4031") == 2, "2 newly allowed and 2 newly denied regions")
check(all(r["level"] == "error" for r in sarif["runs"][0]["results"] if r["ruleId"] == "NV4030"), "failing regions are errors")
check(status == 1, "--fail-on-diff new-allow fails")

# ---- JUnit XML --------------------------------------------------------------------------
status, text, _ = report("junit", GUIDE)
root = ET.fromstring(text)
check(root.tag == "testsuites", "JUnit root")
suites = {s.get("name"): s for s in root.findall("testsuite")}
check(list(suites) == ["holes"], "one suite without --expect and --baseline")
holes = suites["holes"]
cases = holes.findall("testcase")
names = [c.get("name") for c in cases]
check(len(cases) == 5 and int(holes.get("tests")) == 5, f"4 policies + proved properties (got {names})")
failed = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
check(sorted(failed) == ["NetworkPolicy production/default-deny-all", "NetworkPolicy production/web-tier-policy"], f"failing testcases: {sorted(failed)}")
check(int(holes.get("failures")) == 2 and int(root.get("failures")) == 2, "failure counts")
web = failed["NetworkPolicy production/web-tier-policy"]
check("NV8012" in web.get("message") and "NV8010" in web.get("message"), "failure message names the codes")
check("TCP 203.0.113.10 -> 10.244.2.20:8080" in web.text, "failure text holds the witness, unescaped by the parser")

status, text, _ = report("junit", TYPO)
root = ET.fromstring(text)
suites = {s.get("name"): s for s in root.findall("testsuite")}
check(list(suites) == ["holes", "baseline"], f"holes and baseline suites (got {list(suites)})")
base = suites["baseline"]
check([c.get("name") for c in base.findall("testcase")] == ["newly allowed", "newly denied"], "one testcase per direction")
check(base.find("testcase[@name='newly allowed']/failure") is not None, "newly allowed fails under --fail-on-diff new-allow")
check(base.find("testcase[@name='newly denied']/failure") is None, "newly denied does not")
check("TCP port 9091" in base.find("testcase[@name='newly allowed']/failure").text, "the region is in the failure text")

ALL = ["--cluster", "corpus/guide/cluster.yaml", "--expect", "corpus/expect/guide-broken.yaml",
       "--baseline", "corpus/guide/policies", "corpus/equiv/guide-metrics-port-typo"]
status, text, _ = report("junit", ALL)
root = ET.fromstring(text)
suites = {s.get("name"): s for s in root.findall("testsuite")}
check(list(suites) == ["holes", "expectations", "baseline"], f"three suites (got {list(suites)})")
exp = suites["expectations"]
check(len(exp.findall("testcase")) == 4 and exp.get("tests") == "4", "one testcase per expectation")
failed = [c.get("name") for c in exp.findall("testcase") if c.find("failure") is not None]
check(failed == ["the backend reaches its database", "the web tier reaches the backend API through its service"],
      f"the two broken expectations fail (got {failed})")
check(int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values()), "testsuites counts its suites")
check(int(root.get("failures")) == sum(len(s.findall("testcase/failure")) for s in suites.values()), "failure total")
status, text, _ = report("sarif", ALL)
sarif = json.loads(text)
check(valid_sarif(sarif), "SARIF with expectations and a baseline validates")
ids = [r["ruleId"] for r in sarif["runs"][0]["results"]]
check(ids.count("NV4032") == 2, "failed expectations are results")

# ---- JSON and GitHub --------------------------------------------------------------------
p = run(["-o", "json"] + GUIDE)
doc = json.loads(p.stdout)
check(doc["format"] == "netverify-check/v1" and doc["exitCode"] == p.returncode == 1 and doc["result"] == "fail", "JSON verdict")
check(doc["summary"]["findings"] == len(doc["findings"]) == 7, "JSON findings")
check(all(f["location"]["line"] >= 1 for f in doc["findings"]), "JSON locations")

p = run(["-o", "github"] + GUIDE)
lines = p.stdout.splitlines()
cmd = re.compile(r"::(error|warning|notice) file=[^,:]+,line=\d+,col=\d+,title=NV\d{4}::[^\r\n]+")
check(all(cmd.fullmatch(l) for l in lines[:-1]) and len(lines) == 8, "GitHub commands")
check(lines[-1].startswith("FAIL: "), "GitHub output ends with the summary")

# ---- nothing written on input errors ----------------------------------------------------
status, text, _ = report("sarif", ["corpus/errors/unknown-field-typo.yaml"])
check(status == 2 and text is None, "input error: exit 2 and no report file")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all report checks passed")
