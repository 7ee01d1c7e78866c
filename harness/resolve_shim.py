"""The student's sitecustomize (harness.launch.student_env copies it there): host names without /etc/hosts.

Where the sandbox has no mount namespace of its own and may not edit the machine's
/etc/hosts (the local fallback), a lab's handout host names (assignment.yml
`hosts:`) cannot lead to the grader's fake servers, and their ports (123, 70)
cannot be bound without privilege. The check then names, in RESOLVE_VAR, where
each such name is served ("pool.ntp.org=127.10.0.1:40123"), and this file, run by
the student's interpreter before the program, makes the resolver answer that:
the program's own code is untouched and sees the same answers as everywhere else.
Without RESOLVE_VAR (every other sandbox and lab) it does nothing.

Only the standard library, and nothing kept in module globals but underscored
names: it runs inside the student's program.
"""

import os

_TABLE = os.environ.get("GRADER_RESOLVE", "")


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


if _TABLE:
    _install(_TABLE)
