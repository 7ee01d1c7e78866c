"""A correct echo server, except that it echoes wrongly when a file of an earlier run is still there."""
import os, socket
places = [".", "/tmp", "/dev/shm"]
stale = any(os.path.exists(os.path.join(p, "state-of-an-earlier-check")) for p in places)
for p in places:
    try:
        open(os.path.join(p, "state-of-an-earlier-check"), "w").write("x")
    except OSError:
        pass
with socket.socket() as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", 9000)); s.listen()
    while True:
        c, _ = s.accept()
        with c:
            try:
                while d := c.recv(65536):
                    c.sendall(b"stale" if stale else d)
            except OSError:
                pass
