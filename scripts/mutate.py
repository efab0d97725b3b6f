#!/usr/bin/env python3
"""Mutation testing of lib/: does the suite notice a deliberate bug?

Each mutant of the list (test/mutants.txt, format described there) replaces
one exact snippet of a file with another. For each, in a scratch copy of the
tree with its own build directories (never in the working tree), the mutant is
applied, the library and the test programs it needs are rebuilt incrementally
with ninja, and tests run until one fails:

  KILLED    a test failed, crashed or hung (a timeout is a detection too)
  SURVIVED  every test that judges the file passed
  INVALID   the mutant does not compile (fix the list)
  STALE     its snippet is no longer in the file, or not once (fix the list)

Tests run in this order: the mutant's own `tests` line (the ones that should
catch it, fastest first), then the rest of the file's tests from the list's
map: a mutant is only called SURVIVED after all of them passed. Each test runs
once unmutated before it judges its first mutant (the baseline: it must pass,
and its time sets the timeout under mutation). Mutants marked `asan` run in an
AddressSanitizer + UBSan build (leaks are failures there).

Prints one line per mutant and ends with "mutation: K killed of N (P%)", where
N counts every mutant tried (stale and invalid ones too: the list must be
fixed). Exits 1 below the threshold, 2 on a usage error, a scratch tree that
cannot be set up or a red baseline.
"""
import argparse
import fnmatch
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- the list ---------------------------------------------------------------

class ListError(Exception):
    pass


class Mutant:
    def __init__(self, mid, where):
        self.id = mid
        self.where = where  # "test/mutants.txt:123"
        self.file = None
        self.what = ""
        self.tests = []
        self.asan = False
        self.smoke = False
        self.old = []
        self.new = None  # None: delete the snippet

    @property
    def old_text(self):
        return "\n".join(self.old)

    @property
    def new_text(self):
        return "\n".join(self.new) if self.new is not None else ""


def parse_list(path):
    """Returns (mutants, map file -> tests). Raises ListError."""
    mutants, fmap, ids = [], {}, set()
    cur = None
    rel = os.path.relpath(path, ROOT)
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for n, raw in enumerate(lines, 1):
        where = f"{rel}:{n}"
        line = raw.lstrip()
        if line[:2] in ("- ", "+ ") or line in ("-", "+"):
            if cur is None:
                raise ListError(f"{where}: a snippet line outside a mutant")
            text = line[2:]
            if line[0] == "-":
                if cur.new is not None:
                    raise ListError(f"{where}: '-' lines come before '+' lines")
                cur.old.append(text)
            else:
                cur.new = (cur.new or []) + [text]
            continue
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if word == "map":
            name, eq, tests = rest.partition("=")
            if not eq or not name.strip() or not tests.split():
                raise ListError(f"{where}: want 'map lib/FILE.c = test test ...'")
            fmap[name.strip()] = tests.split()
            cur = None
        elif word == "mutant":
            if not rest or " " in rest:
                raise ListError(f"{where}: want 'mutant ID' (one word)")
            if rest in ids:
                raise ListError(f"{where}: mutant {rest} is listed twice")
            ids.add(rest)
            cur = Mutant(rest, where)
            mutants.append(cur)
        elif cur is None:
            raise ListError(f"{where}: '{word}' outside a mutant")
        elif word == "file":
            cur.file = rest
        elif word == "what":
            cur.what = rest
        elif word == "tests":
            cur.tests = rest.split()
        elif word == "asan" and not rest:
            cur.asan = True
        elif word == "smoke" and not rest:
            cur.smoke = True
        else:
            raise ListError(f"{where}: unknown line '{word}'")
    for m in mutants:
        if not m.file or not m.old:
            raise ListError(f"{m.where}: mutant {m.id} needs a file and a '-' line")
        if m.new is not None and m.new_text == m.old_text:
            raise ListError(f"{m.where}: mutant {m.id} changes nothing")
        if not m.tests and m.file not in fmap:
            raise ListError(f"{m.where}: mutant {m.id}: no tests, and no map line for {m.file}")
    return mutants, fmap


def staleness(m, root):
    """None if the snippet is in the file exactly once, else why not."""
    path = os.path.join(root, m.file)
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return f"{m.file} does not exist"
    count = text.count(m.old_text)
    if count == 0:
        return "the snippet is not in the file"
    if count > 1:
        return f"the snippet is in the file {count} times"
    return None


# ---- the scratch tree ---------------------------------------------------------

def tracked_files():
    """The project's files: git's list in a git checkout with git installed,
    else a walk that skips what .gitignore names (a fresh machine or an
    exported tree may have neither git nor .git)."""
    try:
        out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "-co", "--exclude-standard"],
                             check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return walked_files()
    return [p for p in out.decode().split("\0") if p and os.path.lexists(os.path.join(ROOT, p))]


def walked_files():
    """Every file under ROOT but build trees, node_modules, caches and bench
    results: the .gitignore patterns, kept in step with it by hand."""
    files = []
    for top, dirs, names in os.walk(ROOT):
        rel_top = os.path.relpath(top, ROOT)
        dirs[:] = sorted(d for d in dirs if not (
            d in (".git", "node_modules", "__pycache__")
            or (rel_top == "." and d.startswith("build"))
            or (rel_top == "bench" and d == "results")))
        for n in sorted(names):
            if not n.endswith(".pyc"):
                files.append(os.path.normpath(os.path.join(rel_top, n)))
    return files


def sync_tree(dst):
    """Makes dst a copy of the working tree's files, touching only what
    differs (so that ninja rebuilds only that)."""
    os.makedirs(dst, exist_ok=True)
    manifest = os.path.join(dst, ".mutate-manifest")
    old = set()
    if os.path.exists(manifest):
        old = set(open(manifest, encoding="utf-8").read().split("\0")) - {""}
    files = tracked_files()
    for rel in files:
        s, d = os.path.join(ROOT, rel), os.path.join(dst, rel)
        if os.path.islink(s) or not os.path.isfile(s):
            continue
        data = open(s, "rb").read()
        try:
            if open(d, "rb").read() == data:
                continue
        except OSError:
            pass
        os.makedirs(os.path.dirname(d), exist_ok=True)
        with open(d, "wb") as f:
            f.write(data)
        shutil.copymode(s, d)
    for rel in old - set(files):
        try:
            os.unlink(os.path.join(dst, rel))
        except OSError:
            pass
    with open(manifest, "w", encoding="utf-8") as f:
        f.write("\0".join(files))
    # The emulators (gitignored) are shared with the working tree.
    nm = os.path.join(ROOT, "test", "peers", "node_modules")
    link = os.path.join(dst, "test", "peers", "node_modules")
    if os.path.isdir(nm) and not os.path.lexists(link):
        os.symlink(nm, link)


def run_quiet(cmd, log, **kw):
    with open(log, "w", encoding="utf-8") as f:
        return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, **kw).returncode


def tail(path, n=15):
    try:
        return "".join(open(path, encoding="utf-8", errors="replace").readlines()[-n:])
    except OSError:
        return ""


class Build:
    """One build directory of a slot's scratch tree (plain or ASan)."""

    def __init__(self, slot, asan):
        self.slot, self.asan = slot, asan
        self.dir = os.path.join(slot.dir, "build-asan" if asan else "build")
        self.tests = None  # name -> meson's description
        self.targets = None  # target id -> paths relative to self.dir

    def setup(self):
        if not os.path.exists(os.path.join(self.dir, "build.ninja")):
            args = ["meson", "setup", self.dir, self.slot.src, "-Dwerror=false",
                    "-Dtests=enabled", "-Dbench=disabled"]
            if self.asan:
                args += ["-Db_sanitize=address,undefined", "-Db_lundef=false"]
            log = os.path.join(self.slot.dir, "setup.log")
            if run_quiet(args, log) != 0:
                raise Fatal(f"meson setup {self.dir} failed:\n{tail(log)}")
        else:
            # A build set up by an earlier run: regenerate it if a meson.build
            # changed since (a new test), or its introspection is stale.
            log = os.path.join(self.slot.dir, "regen.log")
            if run_quiet(["ninja", "-C", self.dir, "build.ninja"], log) != 0:
                raise Fatal(f"regenerating {self.dir} failed:\n{tail(log)}")
        self.introspect()

    def introspect(self):
        def intro(what):
            out = subprocess.run(["meson", "introspect", what, self.dir], check=True,
                                 capture_output=True, text=True).stdout
            return json.loads(out)
        self.tests = {t["name"]: t for t in intro("--tests")}
        self.targets = {t["id"]: [os.path.relpath(p, self.dir) for p in t["filename"]]
                        for t in intro("--targets")}

    def targets_of(self, test):
        t = self.tests[test]
        out = []
        for dep in t.get("depends", []):
            out += self.targets.get(dep, [])
        outputs = {p for paths in self.targets.values() for p in paths}
        for c in t["cmd"]:
            rel = os.path.relpath(os.path.normpath(os.path.join(self.dir, c)), self.dir)
            if rel in outputs:
                out.append(rel)
        return sorted(set(out))

    def build(self, tests):
        """0, or ninja's exit status (the log in the slot's build.log)."""
        targets = sorted({x for t in tests for x in self.targets_of(t)})
        return run_quiet(["ninja", "-C", self.dir] + targets, self.slot.build_log)

    def run_test(self, name, timeout):
        """(verdict, seconds): 'pass', 'skip', 'fail' or 'timeout'."""
        t = self.tests[name]
        env = dict(os.environ)
        env.update(t.get("env") or {})
        env["MALLOC_PERTURB_"] = str(random.randint(1, 255))
        suite = os.path.join(os.path.dirname(ROOT), "shared", "sigv4-test-suite", "v4")
        if "UVAWS_SIGV4_SUITE" not in env and os.path.isdir(suite):
            env["UVAWS_SIGV4_SUITE"] = suite
        if self.asan:
            env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
            env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        log = os.path.join(self.slot.dir, f"test-{name}.log")
        start = time.monotonic()
        with open(log, "w", encoding="utf-8") as f:
            p = subprocess.Popen(t["cmd"], cwd=t.get("workdir") or self.dir, env=env,
                                 stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            try:
                rc = p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                stop_group(p)
                return "timeout", time.monotonic() - start
        took = time.monotonic() - start
        if rc == 0:
            return "pass", took
        return ("skip" if rc == 77 else "fail"), took


def stop_group(p):
    """SIGTERM to the test's process group (the peer launcher stops its
    servers on it), SIGKILL after 5 s."""
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


class Slot:
    def __init__(self, base, index):
        self.dir = os.path.join(base, f"slot{index}")
        self.src = os.path.join(self.dir, "src")
        self.build_log = os.path.join(self.dir, "build.log")
        self.builds = {}

    def get_build(self, asan):
        b = self.builds.get(asan)
        if b is None:
            b = self.builds[asan] = Build(self, asan)
            b.setup()
        return b


# ---- running ----------------------------------------------------------------

class Fatal(Exception):
    """The scratch tree cannot be set up, or a test fails without any mutant:
    nothing the run would say about mutants counts."""


class Run:
    def __init__(self, args, mutants, fmap):
        self.args, self.mutants, self.fmap = args, mutants, fmap
        self.lock = threading.Lock()
        self.results = {}  # id -> (verdict, detail)
        self.baseline = {}  # (asan, test) -> seconds, once it passed unmutated
        self.skipped = set()  # (asan, test) that exit 77 here (a peer missing)
        self.pending = {}  # (asan, test) -> Event while some slot measures it
        self.fatal = None
        self.done = 0

    def asan_of(self, m):
        return m.asan or self.args.asan

    def plan(self, m):
        """The tests for m in the order they run: its own first."""
        first = list(dict.fromkeys(m.tests))
        rest = [t for t in self.fmap.get(m.file, []) if t not in first]
        if self.args.all_tests:
            everything = sorted({t for ts in self.fmap.values() for t in ts})
            rest += [t for t in everything if t not in first and t not in rest]
        key = lambda t: self.baseline.get((self.asan_of(m), t), 0)
        return sorted(first, key=key) + sorted(rest, key=key)

    def report(self, m, verdict, detail):
        with self.lock:
            self.done += 1
            self.results[m.id] = (verdict, detail)
            width = len(str(len(self.mutants)))
            print(f"[{self.done:{width}}/{len(self.mutants)}] {verdict:<8} {m.id:<34} {detail}",
                  flush=True)

    def timeout_for(self, asan, test):
        return self.args.timeout_factor * self.baseline[(asan, test)] + 30

    def ensure_baseline(self, slot, asan, test):
        """Runs `test` once on the slot's unmutated tree, unless some slot did:
        its time sets the timeout under mutation, and a test that fails
        unmutated stops the run."""
        key = (asan, test)
        with self.lock:
            if key in self.baseline or key in self.skipped:
                return
            event = self.pending.get(key)
            mine = event is None
            if mine:
                event = self.pending[key] = threading.Event()
        if not mine:
            event.wait()
            return
        try:
            b = slot.get_build(asan)
            if test not in b.tests:
                raise Fatal(f"the list names a test meson does not know: {test}")
            if b.build([test]) != 0:
                raise Fatal(f"the unmutated tree does not build:\n{tail(slot.build_log)}")
            verdict, took = b.run_test(test, self.args.timeout)
            variant = "asan" if asan else "plain"
            if verdict in ("fail", "timeout"):  # once more: a flaky test is not a red suite
                print(f"mutate: test {test} ({variant}) failed unmutated ({verdict}); "
                      "running it again", flush=True)
                verdict, again = b.run_test(test, self.args.timeout)
                took = max(took, again)
            if verdict in ("fail", "timeout"):
                log = os.path.join(slot.dir, f"test-{test}.log")
                raise Fatal(f"test {test} ({variant}) fails without any mutant "
                                    f"({verdict}); fix the suite first:\n{tail(log)}")
            with self.lock:
                if verdict == "skip":
                    self.skipped.add(key)
                    print(f"mutate: test {test} ({variant}) is skipped here (a peer missing?): "
                          "it judges nothing", flush=True)
                else:
                    self.baseline[key] = took
                    print(f"mutate: baseline {test} ({variant}): {took:.1f} s", flush=True)
        finally:
            event.set()

    def mutate_one(self, slot, m):
        why = staleness(m, slot.src)
        if why:
            self.report(m, "STALE", f"{m.file}: {why} ({m.where})")
            return
        asan = self.asan_of(m)
        b = slot.get_build(asan)
        path = os.path.join(slot.src, m.file)
        original = open(path, encoding="utf-8").read()
        mutated = original.replace(m.old_text, m.new_text, 1)
        start = time.monotonic()
        ran, flaky = [], []
        try:
            for t in self.plan(m):
                if (asan, t) not in self.baseline and (asan, t) not in self.skipped:
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(original)
                    self.ensure_baseline(slot, asan, t)
                if (asan, t) in self.skipped:
                    continue
                with open(path, "w", encoding="utf-8") as f:
                    f.write(mutated)
                if b.build([t]) != 0:
                    self.report(m, "INVALID", f"does not compile ({m.where}):\n"
                                + indent(tail(slot.build_log, 8)))
                    return
                verdict, took = b.run_test(t, self.timeout_for(asan, t))
                ran.append(t)
                if verdict == "fail" and not self.args.no_confirm:
                    # A failure counts once it happens again: a test that
                    # flakes on a loaded machine must not pass for a detection.
                    again, _ = b.run_test(t, self.timeout_for(asan, t))
                    if again == "pass":
                        flaky.append(t)
                        with self.lock:
                            print(f"mutate: {t} failed once under {m.id}, then passed: "
                                  "taken for a flake", flush=True)
                        continue
                if verdict in ("fail", "timeout"):
                    how = "timed out" if verdict == "timeout" else "failed"
                    self.report(m, "KILLED", f"{t} {how} ({time.monotonic() - start:.0f} s)")
                    return
            if not ran:
                self.report(m, "STALE", f"no test that runs here judges {m.file} ({m.where})")
                return
            flakes = f"; flaky: {' '.join(flaky)}" if flaky else ""
            self.report(m, "SURVIVED", f"{m.file}: {m.what} ({m.where}); passed: "
                        f"{' '.join(ran)}{flakes} ({time.monotonic() - start:.0f} s)")
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(original)

    def worker(self, slot, work):
        while self.fatal is None:
            try:
                group = work.get_nowait()
            except queue.Empty:
                return
            for m in group:
                if self.fatal is not None:
                    return
                try:
                    self.mutate_one(slot, m)
                except Fatal as e:
                    self.fatal = str(e)
                except Exception as e:  # a broken slot must not hang the others
                    self.report(m, "INVALID", f"mutate.py: {e}")


def indent(text):
    return "".join("    " + line + "\n" for line in text.rstrip("\n").split("\n"))


def select(mutants, only):
    if not only:
        return mutants
    pats = only.split(",")
    return [m for m in mutants
            if any(fnmatch.fnmatch(m.id, p) or fnmatch.fnmatch(m.file, p) or p in m.id
                   for p in pats)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", default=os.path.join(ROOT, "test", "mutants.txt"),
                    help="the mutant list (default test/mutants.txt)")
    ap.add_argument("--only", help="comma-separated ids, globs or files (lib/ini.c, sigv4-*)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="scratch trees working at once (each has its own build)")
    ap.add_argument("--threshold", type=float, default=None,
                    help="the kill rate in %% below which the run fails (default 90, "
                    "100 with --smoke)")
    ap.add_argument("--asan", action="store_true",
                    help="run every mutant in the AddressSanitizer build")
    ap.add_argument("--all-tests", action="store_true",
                    help="before calling a mutant SURVIVED, run every test of the map")
    ap.add_argument("--check", action="store_true",
                    help="only check the list: parse it, and find stale snippets")
    ap.add_argument("--smoke", action="store_true",
                    help="the mutants marked `smoke` only (threshold 100%%), and the whole "
                    "list checked for stale snippets")
    ap.add_argument("--scratch", default=os.environ.get("UVAWS_MUTATE_DIR",
                                                        os.path.join(ROOT, "build-mutate")),
                    help="where the scratch trees live (default build-mutate)")
    ap.add_argument("--no-confirm", action="store_true",
                    help="take a test's first failure as the kill (faster; by default it "
                    "must fail twice, so that a flaky test counts for nothing)")
    ap.add_argument("--timeout", type=float, default=300,
                    help="seconds a test may take in the baseline (default 300)")
    ap.add_argument("--timeout-factor", type=float, default=3.0,
                    help="a mutated test may take this times its baseline, plus 30 s")
    args = ap.parse_args()

    try:
        mutants, fmap = parse_list(os.path.abspath(args.list))
    except (OSError, ListError) as e:
        print(f"mutate: {e}", file=sys.stderr)
        return 2
    chosen = select(mutants, args.only)
    if args.smoke:
        chosen = [m for m in chosen if m.smoke]
    if args.threshold is None:
        args.threshold = 100.0 if args.smoke else 90.0
    if not chosen:
        print(f"mutate: no mutant matches {args.only}", file=sys.stderr)
        return 2

    stale_elsewhere = []
    if args.smoke:  # the rest of the list is only checked, which costs nothing
        stale_elsewhere = [m for m in mutants if m not in chosen and staleness(m, ROOT)]
        for m in stale_elsewhere:
            print(f"STALE    {m.id:<34} {m.file}: {staleness(m, ROOT)} ({m.where})")
    if args.check:
        bad = [(m, staleness(m, ROOT)) for m in chosen]
        bad = [(m, why) for m, why in bad if why]
        for m, why in bad:
            print(f"STALE    {m.id:<34} {m.file}: {why} ({m.where})")
        lib = sorted(f for f in os.listdir(os.path.join(ROOT, "lib")) if f.endswith(".c"))
        uncovered = [f for f in lib if not any(m.file == "lib/" + f for m in mutants)]
        if uncovered and not args.only:
            print(f"mutate: no mutant for {' '.join(uncovered)}")
        print(f"mutate: {len(chosen)} mutants, {len(bad)} stale")
        return 1 if bad else 0

    started = time.monotonic()
    run = Run(args, chosen, fmap)
    jobs = max(1, min(args.jobs, len(chosen)))
    slots = [Slot(os.path.abspath(args.scratch), i) for i in range(jobs)]
    try:
        for s in slots:
            sync_tree(s.src)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"mutate: {e}", file=sys.stderr)
        return 2

    # Mutants of one file (and build) go to one worker, in list order: a
    # rebuild then recompiles that file alone.
    groups = {}
    for m in chosen:
        groups.setdefault((run.asan_of(m), m.file), []).append(m)
    work = queue.Queue()
    for g in sorted(groups.values(), key=len, reverse=True):
        work.put(g)
    threads = [threading.Thread(target=run.worker, args=(s, work), daemon=True) for s in slots]
    print(f"mutate: {len(chosen)} mutants, {jobs} at a time", flush=True)
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.5)
    except KeyboardInterrupt:
        print("mutate: interrupted (the scratch tree is restored at the next run)",
              file=sys.stderr)
        return 130
    if run.fatal is not None:
        print(f"mutate: {run.fatal}", file=sys.stderr)
        return 2

    counts = {}
    for verdict, _ in run.results.values():
        counts[verdict] = counts.get(verdict, 0) + 1
    for verdict in ("SURVIVED", "INVALID", "STALE"):
        ids = [m for m in chosen if run.results.get(m.id, ("",))[0] == verdict]
        if ids:
            print(f"{verdict.lower()}:")
            for m in ids:
                print(f"  {m.id:<34} {m.file}: {m.what}")
    n = len(chosen)
    k = counts.get("KILLED", 0)
    pct = 100.0 * k / n
    mins, secs = divmod(int(time.monotonic() - started), 60)
    print(f"mutation: {k} killed of {n} ({pct:.1f}%) in {mins}m{secs:02d}s")
    if stale_elsewhere:
        print(f"mutate: {len(stale_elsewhere)} stale mutants in the rest of the list")
        return 1
    return 0 if pct >= args.threshold else 1


if __name__ == "__main__":
    sys.exit(main())
