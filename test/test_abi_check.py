#!/usr/bin/python3
"""scripts/abi-check.sh can fail: against scratch baselines that differ from
the built library as an unannounced break would, it says FAILED; against
one the library only grew from the way docs/abi.md allows, ok.

Each scratch baseline is the library's own ABI (abidw) edited to be what an
older library would have had:
  - a function the new library no longer has (removed);
  - uvaws_request_t without a member in its middle (one inserted mid-struct:
    every later member moved);
  - uvaws_client_stats_t one member shorter (a struct callers allocate grew);
  - uvaws_client_options_t one member shorter (a sized struct grew at its
    end: compatible).

    test_abi_check.py SOURCE_ROOT BUILD_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT, BUILD = (os.path.abspath(a) for a in sys.argv[1:3])
del sys.argv[1:3]
CHECK = os.path.join(ROOT, "scripts", "abi-check.sh")


def check(baseline, *args):
    env = dict(os.environ, ABI_BASELINE=baseline)
    p = subprocess.run([CHECK, *args, BUILD], env=env, capture_output=True, text=True,
                       timeout=300)
    last = [l for l in p.stdout.splitlines() if l.startswith("abi: ")]
    return p.returncode, last[-1] if last else "", p.stdout + p.stderr


def drop_member(text, struct, member, shrink_bits):
    """The baseline without `member` of `struct`, its size less `shrink_bits`."""
    lines = text.split("\n")
    start = next(i for i, l in enumerate(lines)
                 if re.search(r"<class-decl name='%s' size-in-bits='\d+'" % struct, l))
    end = next(i for i in range(start, len(lines)) if "</class-decl>" in lines[i])
    at = next(i for i in range(start, end) if "var-decl name='%s'" % member in lines[i])
    size = int(re.search(r"size-in-bits='(\d+)'", lines[start]).group(1))
    lines[start] = lines[start].replace("size-in-bits='%d'" % size,
                                        "size-in-bits='%d'" % (size - shrink_bits), 1)
    return "\n".join(lines[:at - 1] + lines[at + 2:])


@unittest.skipUnless(shutil.which("abidw") and shutil.which("abidiff"),
                     "abigail-tools not installed (scripts/setup.sh test)")
class AbiCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="uvaws-abi-")
        cls.own = os.path.join(cls.tmp, "own.abi")
        rc, last, out = check(cls.own, "--update")
        assert rc == 0, out
        with open(cls.own) as f:
            cls.text = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def variant(self, name, text):
        path = os.path.join(self.tmp, name + ".abi")
        with open(path, "w") as f:
            f.write(text)
        return check(path)

    def test_same_library_is_ok(self):
        rc, last, out = check(self.own)
        self.assertEqual(rc, 0, out)
        self.assertEqual(last, "abi: libuvaws ok", out)

    def test_removed_function_fails(self):
        self.assertIn("uvaws_version_string", self.text)
        rc, last, out = self.variant("removed", self.text.replace("uvaws_version_string",
                                                                  "uvaws_version_gone"))
        self.assertEqual(rc, 1, out)
        self.assertTrue(last.startswith("abi: libuvaws FAILED"), out)
        self.assertIn("uvaws_version_gone", out)

    def test_member_moved_fails(self):
        rc, last, out = self.variant("moved", drop_member(self.text, "uvaws_request_t",
                                                          "path_encoded", 0))
        self.assertEqual(rc, 1, out)
        self.assertTrue(last.startswith("abi: libuvaws FAILED"), out)
        self.assertIn("uvaws_request_t: a member inserted before its end", out)

    def test_caller_allocated_struct_grown_fails(self):
        rc, last, out = self.variant("stats", drop_member(self.text, "uvaws_client_stats_t",
                                                          "clock_skew_s", 64))
        self.assertEqual(rc, 1, out)
        self.assertIn("uvaws_client_stats_t grew, and callers allocate it", out)

    def test_sized_struct_grown_at_end_is_ok(self):
        rc, last, out = self.variant("grown", drop_member(self.text, "uvaws_client_options_t",
                                                          "observe_arg", 64))
        self.assertEqual(rc, 0, out)
        self.assertTrue(last.startswith("abi: libuvaws ok (compatible changes"), out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
