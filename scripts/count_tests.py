#!/usr/bin/env python3
"""Counts every test case across meson test logs and fuzz runs.

A cmocka executable counts its cases (from its "[  PASSED  ] N test(s)" and
"[  FAILED  ] N test(s)" lines); any other meson test counts as one. Each
--result-log file holds lines "KIND: NAME ok|FAILED|SKIPPED ..." (fuzz targets
from scripts/fuzz.sh, the fresh-root checks and the mutation runs of
scripts/test.sh), one test each.
Prints one line "N passed, N failed, N skipped" and exits 1 if anything failed.
"""
import json
import re
import sys

passed = failed = skipped = 0
args = sys.argv[1:]
result_logs = []
while "--result-log" in args:
    i = args.index("--result-log")
    result_logs.append(args[i + 1])
    del args[i:i + 2]

PASS_RE = re.compile(r"^\[  PASSED  \] (\d+) test", re.M)
FAIL_RE = re.compile(r"^\[  FAILED  \] (\d+) test", re.M)
SKIP_RE = re.compile(r"^\[  SKIPPED \] (\d+) test", re.M)
# Python unittest: "Ran N tests" then "OK", "OK (skipped=S)" or "FAILED (failures=F, errors=E)"
RAN_RE = re.compile(r"^Ran (\d+) tests? in", re.M)
UT_SKIP_RE = re.compile(r"skipped=(\d+)")
UT_FAIL_RE = re.compile(r"(?:failures|errors)=(\d+)")

for path in args:
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        print(f"count_tests: no log {path}", file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        try:
            t = json.loads(line)
        except ValueError:
            print(f"count_tests: an unreadable line in {path}", file=sys.stderr)
            failed += 1
            continue
        out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
        result = t.get("result")
        p = sum(int(n) for n in PASS_RE.findall(out))
        f = sum(int(n) for n in FAIL_RE.findall(out))
        s = sum(int(n) for n in SKIP_RE.findall(out))
        ran = RAN_RE.search(out)
        if ran and not (p or f or s):
            total = int(ran.group(1))
            tail = out[ran.end():]
            s = sum(int(n) for n in UT_SKIP_RE.findall(tail))
            f = sum(int(n) for n in UT_FAIL_RE.findall(tail))
            if result != "OK" and f == 0:
                f = 1
            passed += max(total - s - f, 0)
            skipped += s
            failed += f
            continue
        if p or f or s:
            passed += p
            skipped += s
            # A crash after some cases passed leaves no FAILED line: count it.
            failed += f if (f or result == "OK") else 1
        elif result == "OK":
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1

for log in result_logs:
    for line in open(log, encoding="utf-8", errors="replace"):
        m = re.match(r"^(fuzz|fresh|mutate|abi|tsan|build): (\S+) (ok|FAILED|SKIPPED)", line)
        if m:
            if m.group(3) == "ok":
                passed += 1
            elif m.group(3) == "SKIPPED":
                skipped += 1
            else:
                failed += 1

print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
