#!/usr/bin/env python3
"""Print the closing line of `make test` from meson's test log.

usage: test-summary.py BUILDDIR...
Counts every test result in BUILDDIR/meson-logs/testlog.json and prints
the failures by name, then 'N passed, N failed' (skips are counted apart).
Exits 1 when anything failed or nothing ran.
"""
import json
import sys

passed = failed = skipped = 0
bad = []
for d in sys.argv[1:]:
    try:
        lines = open(d + "/meson-logs/testlog.json", encoding="utf-8").readlines()
    except OSError as e:
        print("no test log in %s: %s" % (d, e))
        failed += 1
        continue
    for line in lines:
        t = json.loads(line)
        r = t.get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
            bad.append("%s: %s (%s)" % (d, t.get("name"), r))
for b in bad:
    print("FAILED " + b)
line = "%d passed, %d failed" % (passed, failed)
if skipped:
    line += ", %d skipped" % skipped
print(line)
sys.exit(1 if failed or not passed else 0)
