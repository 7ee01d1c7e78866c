"""`python tests/own_network.py MODULE ARGS...`: `python -m MODULE ARGS...` in a network namespace of its own.

A test that forces the local sandbox's fallback (GRADER_ISOLATE=no) binds the lab's ports on
the loopback it is on. Run through this, that loopback is its own, not the machine's, where
tests on other pytest workers may be using the same port at the same time.
"""

import runpy
import sys

from harness import netns

netns.enter_private_namespaces()
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
