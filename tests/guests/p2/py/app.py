"""A wasi:cli/command in Python (componentize-py): args, an env var, stdin, a file in a
preopened dir, the clocks, and an exit status, each printed so the test can compare."""
import os
import sys
import time

from wit_world import exports


class Run(exports.Run):
    def run(self) -> None:
        print("args:", sys.argv[1:])
        print("GREETING:", os.environ.get("GREETING"))
        data = sys.stdin.read()
        print("stdin:", repr(data), len(data.splitlines()), "lines")
        t0 = time.monotonic()
        time.sleep(0.02)
        print("slept at least 20ms:", time.monotonic() - t0 >= 0.02)
        print("wall clock after 2020:", time.time() > 1577836800)
        with open("/out/result.txt", "w") as f:
            f.write("upper: " + data.upper())
        print("dir:", sorted(os.listdir("/out")))
        print("to stderr", file=sys.stderr)
        sys.stdout.flush()
        sys.exit(int(os.environ.get("STATUS", "0")))
