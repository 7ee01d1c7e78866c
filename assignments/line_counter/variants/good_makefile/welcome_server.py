import socket

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 51423))
s.listen()
while True:
    conn, addr = s.accept()
    f = conn.makefile("rw", encoding="ascii", newline="")
    try:
        f.write("Welcome, %s\n" % (addr,))
        f.write("Please enter a string: ")
        f.flush()
        line = f.readline()
        if line:
            f.write("You entered %d characters.\n" % len(line.strip()))
            f.flush()
    except OSError:
        pass
    finally:
        try:
            f.close()
        except OSError:
            pass
        conn.close()
