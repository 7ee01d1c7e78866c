"""Run by the student's interpreter at start-up, before the program (harness.launch.student_env
puts it in the student's site-packages, with a .pth line that imports it): what a sandbox
without namespaces of its own cannot give the program any other way. Inert unless a check
sets one of its variables; the program's own code is untouched.

GRADER_RESOLVE, host names without /etc/hosts. Where the sandbox has no mount
namespace of its own and may not edit the machine's /etc/hosts (the local fallback),
a lab's handout host names (assignment.yml `hosts:`) cannot lead to the grader's fake
servers, and their ports (123, 70) cannot be bound without privilege. The check then
names where each such name is served ("pool.ntp.org=127.10.0.1:40123"), and the
resolver answers that: the program sees the same answers as everywhere else.

GRADER_TCP_BUFFERS, TCP buffer sysctls without a network namespace. A check that caps
the kernel's buffer autotuning (net.ipv4.tcp_wmem / tcp_rmem, so that a partial send()
is certain) cannot set those sysctls on the machine's own namespace (the fallback,
Gradescope's container). It names the caps instead ("sndbuf=262144,rcvbuf=262144", the
sysctls' maxima), and every TCP socket the program creates starts with buffers fixed at
them (SO_SNDBUF / SO_RCVBUF): on loopback autotuning reaches its maximum within the
first round trip, so the program meets the same full buffers as in a namespace with
the sysctls. A program that sets its own sizes overrides them, as it would the sysctls.

GRADER_NO_IPV6_LOOPBACK, "localhost" without an unusable ::1. Docker's default container
(Gradescope's too) turns IPv6 off, yet its /etc/hosts names ::1 localhost: there
create_connection("localhost", port) with no server meets ECONNREFUSED on 127.0.0.1, then
EADDRNOTAVAIL on ::1, and raises the last error, so a client that catches
ConnectionRefusedError (as everywhere else it would get) crashed. Where ::1 cannot be
bound (harness.launch sets it), getaddrinfo leaves ::1 out of an answer that has other
addresses, as glibc's AI_ADDRCONFIG does for families the machine lacks.

Only the standard library, and nothing kept in module globals but underscored
names: it runs inside the student's program.
"""

import os

_TABLE = os.environ.get("GRADER_RESOLVE", "")
_BUFFERS = os.environ.get("GRADER_TCP_BUFFERS", "")
_NO_IPV6_LOOPBACK = os.environ.get("GRADER_NO_IPV6_LOOPBACK", "")


def _install(table: str) -> None:
    import socket

    served: dict[str, tuple[str, int]] = {}
    for item in table.split(","):
        name, _, where = item.partition("=")
        address, _, port = where.rpartition(":")
        served[name.strip().lower().rstrip(".")] = (address, int(port))

    def lookup(host: object) -> tuple[str, int] | None:
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        return served.get(host.lower().rstrip(".")) if isinstance(host, str) else None

    real_getaddrinfo, real_byname, real_byname_ex = socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        found = lookup(host)
        if found is None:
            return real_getaddrinfo(host, port, *args, **kwargs)
        return real_getaddrinfo(found[0], found[1], *args, **kwargs)  # whatever port was asked: ours serves it

    def gethostbyname(host):  # type: ignore[no-untyped-def]
        found = lookup(host)
        return found[0] if found else real_byname(host)

    def gethostbyname_ex(host):  # type: ignore[no-untyped-def]
        found = lookup(host)
        return (host, [], [found[0]]) if found else real_byname_ex(host)

    socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex = getaddrinfo, gethostbyname, gethostbyname_ex


def _fix_buffers(spec: str) -> None:
    import socket

    options = {"sndbuf": socket.SO_SNDBUF, "rcvbuf": socket.SO_RCVBUF}
    sizes = []
    for item in spec.split(","):
        name, _, value = item.partition("=")
        if name.strip() in options and value.strip().isdigit():
            sizes.append((options[name.strip()], int(value)))
    real_init = socket.socket.__init__

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):  # type: ignore[no-untyped-def]
        real_init(self, family, type, proto, fileno)
        # fileno: an accepted socket (it has its listener's sizes already) or a wrapped descriptor
        if fileno is None and self.family in (socket.AF_INET, socket.AF_INET6) and self.type == socket.SOCK_STREAM:
            for option, size in sizes:
                try:
                    self.setsockopt(socket.SOL_SOCKET, option, size // 2)  # Linux doubles what it is given
                except OSError:
                    pass

    socket.socket.__init__ = __init__  # type: ignore[method-assign]


def _hide_ipv6_loopback() -> None:
    import socket

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(*args, **kwargs):  # type: ignore[no-untyped-def]
        answers = real_getaddrinfo(*args, **kwargs)
        usable = [answer for answer in answers if not (answer[0] == socket.AF_INET6 and answer[4][0] == "::1")]
        return usable or answers  # ::1 alone (asked for by name): the program meets what it asked for

    socket.getaddrinfo = getaddrinfo


if _TABLE:
    _install(_TABLE)
if _NO_IPV6_LOOPBACK:
    _hide_ipv6_loopback()
if _BUFFERS:
    _fix_buffers(_BUFFERS)
