#!/usr/bin/python3
"""Judges an abidiff report that abidiff calls an ABI change but not an
incompatible one (exit bit 4): abidiff counts only removed symbols as
incompatible, so a struct whose fields moved or changed type would pass.
docs/abi.md's rule: a change is compatible when it only

  - adds functions or variables;
  - adds enumerators;
  - grows a struct at its end, and only a struct that may grow: one that
    starts with its size (the caller says which version it has) or one the
    library allocates and the caller only reads (GROWABLE below).

Anything else abidiff reports (a member moved, removed, or of another type;
a parameter or return type changed; a struct the caller allocates grown)
is a break. Prints what breaks the rule, one line each, and exits 1; exits
0 when every change keeps it.

    abi_report.py REPORT
"""
import re
import sys

GROWABLE = {
    # carry their size: read as far as the caller's version goes
    "uvaws_client_options_t", "uvaws_request_t", "uvaws_call_options_t",
    "uvaws_wait_options_t",
    # allocated by the library, read by the caller during a callback
    "uvaws_observation_t", "uvaws_response_t", "uvaws_result_t",
}

# Lines that only lead to the change (which function, which parameter).
NAVIGATION = [
    r"Functions changes summary: \d+ Removed, \d+ Changed( \(\d+ filtered out\))?, \d+ Added functions?",
    r"Variables changes summary: \d+ Removed, \d+ Changed( \(\d+ filtered out\))?, \d+ Added variables?",
    r"\d+ functions? with some indirect sub-type changes?:",
    r"\d+ variables? with some indirect sub-type changes?:",
    r"\d+ Added functions?:",
    r"\d+ Added variables?:",
    r"\[A\] .*",
    r"\[C\] '(function|variable) .*' (at \S+ )?has some indirect sub-type changes:",
    r"parameter \d+ of type '.*' has sub-type changes:",
    r"return type changed:",
    r"in pointed to type '.*'( at \S+)?:",
    r"in referenced type '.*'( at \S+)?:",
    r"in unqualified underlying type '.*'( at \S+)?:",
    r"in pointed to type '.*'( at \S+)? changed:",
    r"type of '.*' changed:",
    r"type size hasn't changed",
    r"\d+ enumerator insertions?:",
    r"'[A-Za-z_][A-Za-z0-9_:]*' value '-?\d+'",
]
NAVIGATION = [re.compile("^" + p + "$") for p in NAVIGATION]
STRUCT = re.compile(r"^underlying type '(?:struct )?([A-Za-z_][A-Za-z0-9_]*)'.* changed:$")
SIZE = re.compile(r"^type size changed from (\d+) to (\d+) \(in bits\)$")
INSERTIONS = re.compile(r"^\d+ data member insertions?:$")
INSERTED = re.compile(r"^'.*', at offset (\d+) \(in bits\)( at \S+)?$")


def judge(lines):
    broken = []
    struct, old_size, inserting = None, None, False
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        m = STRUCT.match(line)
        if m:
            struct, old_size, inserting = m.group(1), None, False
            continue
        m = SIZE.match(line)
        if m and struct is not None:
            old_size = int(m.group(1))
            if int(m.group(2)) < old_size:
                broken.append("%s shrank: %s" % (struct, line))
            elif struct not in GROWABLE:
                broken.append("%s grew, and callers allocate it: %s" % (struct, line))
            continue
        if INSERTIONS.match(line) and struct is not None:
            inserting = True
            continue
        m = INSERTED.match(line)
        if m and inserting:
            if old_size is None or int(m.group(1)) < old_size:
                broken.append("%s: a member inserted before its end: %s" % (struct, line))
            continue
        if any(p.match(line) for p in NAVIGATION):
            inserting = False
            continue
        broken.append(line)
        inserting = False
    return broken


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        broken = judge(f.read().splitlines())
    for b in broken:
        print("abi break: " + b)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
