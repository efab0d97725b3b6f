#!/usr/bin/python3
"""Every C block of README.md compiles against the library as a user builds
it (pkg-config, -Wall -Wextra -Werror), and the first sample runs: against
dynalite it lists the tables; with no region configured and instance metadata
unreachable it ends with the region error instead of crashing.

Run by meson under test/harness/peers.py --dynalite, with the source and build
directories as arguments.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import unittest

SRC = sys.argv.pop(1) if len(sys.argv) > 3 else "."
BUILD = sys.argv.pop(1) if len(sys.argv) > 2 else "build"
# A sanitized library needs its runtime in the program too: the build's
# b_sanitize ("none", "address,undefined" ...), given by meson.
SANITIZE = sys.argv.pop(1) if len(sys.argv) > 1 else "none"
SAN_FLAGS = [] if SANITIZE == "none" else ["-fsanitize=" + SANITIZE]
DDB = os.environ.get("UVAWS_TEST_DYNALITE")
CC = os.environ.get("CC", "cc")


def c_blocks():
    with open(os.path.join(SRC, "README.md"), encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"^```c\n(.*?)^```", text, re.S | re.M)


def pkg_config(*args):
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(BUILD, "meson-uninstalled"))
    out = subprocess.run(["pkg-config", *args, "uvaws"], env=env, check=True,
                         capture_output=True, text=True).stdout
    return out.split()


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Readme(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.blocks = c_blocks()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def build(self, i, code):
        path = os.path.join(self.tmp.name, "block%d.c" % i)
        with open(path, "w") as f:
            f.write(code)
        links = "main(" in code
        out = os.path.join(self.tmp.name, "block%d%s" % (i, "" if links else ".o"))
        cmd = [CC, "-Wall", "-Wextra", "-Werror", path, "-o", out,  # cc as the README says
               *SAN_FLAGS, *pkg_config("--cflags")]
        cmd += pkg_config("--libs") if links else ["-c"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, "README C block %d does not compile:\n%s\n%s"
                         % (i + 1, code, p.stderr))
        return out

    def test_every_block_compiles(self):
        self.assertGreaterEqual(len(self.blocks), 4)
        for i, code in enumerate(self.blocks):
            with self.subTest(block=i + 1):
                self.build(i, code)

    def run_first(self, env):
        first = next(i for i, b in enumerate(self.blocks) if "main(" in b)
        exe = self.build(first, self.blocks[first])
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        base.update(HOME=self.tmp.name, LD_LIBRARY_PATH=os.path.join(BUILD, "lib"), **env)
        return subprocess.run([exe], capture_output=True, text=True, env=base, timeout=60)

    @unittest.skipUnless(DDB, "needs dynalite (run under peers.py)")
    def test_first_sample_runs(self):
        p = self.run_first({"AWS_ENDPOINT_URL": DDB, "AWS_REGION": "us-east-1",
                            "AWS_ACCESS_KEY_ID": "AKIDREADME", "AWS_SECRET_ACCESS_KEY": "s",
                            "AWS_EC2_METADATA_DISABLED": "true"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r'^200 \{"TableNames":\[.*\]\} \(1 attempts\)')

    def test_first_sample_without_a_region(self):
        # a newcomer's machine: credentials but no region, metadata unreachable
        p = self.run_first({"AWS_ACCESS_KEY_ID": "AKIDREADME", "AWS_SECRET_ACCESS_KEY": "s",
                            "AWS_EC2_METADATA_SERVICE_ENDPOINT":
                                "http://127.0.0.1:%d" % closed_port()})
        self.assertEqual(p.returncode, 0, p.stderr)  # no crash: the callback said why
        self.assertIn("UVAWS_ENOREGION", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
