# Threaded echo server using file objects from socket.makefile().
# read1() returns whatever has arrived (it never waits for a newline).
import socket
import threading


def client_thread(conn, addr):
    rfile = conn.makefile("rb")
    wfile = conn.makefile("wb")
    try:
        while True:
            data = rfile.read1(4096)
            if not data:
                break
            wfile.write(data)
            wfile.flush()
    except OSError:
        pass
    finally:
        rfile.close()
        wfile.close()
        conn.close()


sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("", 9000))
sock.listen(10)
while True:
    conn, addr = sock.accept()
    t = threading.Thread(target=client_thread, args=(conn, addr))
    t.daemon = True
    t.start()
