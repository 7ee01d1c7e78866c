"""Tries to persist: a .pth and a sitecustomize.py in every site-packages it can find, marker
files in /tmp, /var/tmp, /dev/shm, its folder and the ones above, and home. Then echoes correctly.

Every file is named socklab-attack-marker*, so a test can look for any that survived the sandbox.
The .pth and sitecustomize only write another marker when some later Python starts."""

import os
import sys

# Destructive on purpose: runs only as the sandbox's student (an unprivileged uid >= 10001,
# in a container, started from the sandbox's scratch copy of the submission).
if not (os.path.exists("/.dockerenv") and os.getuid() >= 10001 and os.getcwd().startswith("/scratch/")):
    sys.exit("attack program: refusing to run outside the grader's Docker sandbox")

import socket

NAME = "socklab-attack-marker"
PAYLOAD = f"open('/tmp/{NAME}-executed', 'w').write('code persisted')\n"


def write(path, text):
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError:
        pass


sites = set(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
for top in ("/home", "/opt", "/usr/lib", "/usr/local", "/tmp", "/scratch", "/root", "/work"):
    for root, dirs, _ in os.walk(top):
        if root.count("/") > 8:
            dirs[:] = []
        sites.update(os.path.join(root, d) for d in dirs if d in ("site-packages", "dist-packages"))
for site in sites:
    write(os.path.join(site, f"{NAME}.pth"), "import os; " + PAYLOAD)
    write(os.path.join(site, "sitecustomize.py"), f"# {NAME}\n" + PAYLOAD)
here = os.getcwd()
places = ["/tmp", "/var/tmp", "/dev/shm", here, os.path.dirname(here), os.path.dirname(os.path.dirname(here)),
          "/scratch", os.path.expanduser("~"), "/home/student", "/run/grader", "/"]
for place in places:
    write(os.path.join(place, NAME), "x")

with socket.socket() as listener:
    listener.bind(("", 9000))
    listener.listen()
    while True:
        conn, _ = listener.accept()
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:
                pass
