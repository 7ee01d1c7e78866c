"""`python tests/own_network.py [--ipv6-off] MODULE ARGS...`: `python -m MODULE ARGS...` in a network namespace of its own.

A test that forces the local sandbox's fallback (GRADER_ISOLATE=no) binds the lab's ports on
the loopback it is on. Run through this, that loopback is its own, not the machine's, where
tests on other pytest workers may be using the same port at the same time.

--ipv6-off: that network as in Docker's default container (Gradescope's): IPv6 off, yet
/etc/hosts names ::1 localhost (a private copy, in a mount namespace of its own).
"""

import runpy
import sys
import tempfile

from harness import netns

netns.enter_private_namespaces()
sys.argv = sys.argv[1:]
if sys.argv[0] == "--ipv6-off":
    sys.argv = sys.argv[1:]
    for name in ("net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.lo.disable_ipv6"):
        assert netns.set_sysctl(name, "1"), name
    netns.override_hosts({"localhost": "::1"}, tempfile.mkdtemp(prefix="own-network-"))
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
