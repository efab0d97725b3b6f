#!/bin/sh
# Mutation testing of lib/: applies each mutant of test/mutants.txt (one
# deliberate bug at a time) in a scratch copy of the tree (build-mutate/),
# rebuilds incrementally, runs the tests that judge it, and prints
# KILLED/SURVIVED/INVALID/STALE per mutant and "mutation: K killed of N (P%)".
# Exits 1 below the threshold (default 90%). See test/README.md.
#
#   scripts/mutate.sh [--list FILE] [--only PATTERN] [--jobs N] [--threshold P]
#                     [--asan] [--all-tests] [--check] [--scratch DIR]
set -eu
exec /usr/bin/python3 "$(dirname "$0")/mutate.py" "$@"
