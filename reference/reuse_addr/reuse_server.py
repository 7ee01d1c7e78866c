"""A TCP server on port 8282 that can be restarted at once, thanks to SO_REUSEADDR.

When a server is stopped while clients are connected, it closes those
connections first, and each of them stays in TIME_WAIT on port 8282 for about
a minute. Without SO_REUSEADDR a new run of the server cannot bind the port
during that minute ("Address already in use"). The option must be set before
bind(), on the socket that binds.
"""

import socket

PORT = 8282

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
old_state = sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
print(f"Old sock state: {old_state}")
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
new_state = sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
print(f"New sock state: {new_state}")

sock.bind(("", PORT))
sock.listen(5)
print(f"Listening on port: {PORT}")

clients = []  # keep every connection open until the server is stopped
try:
    while True:
        conn, addr = sock.accept()
        print(f"Connected by {addr[0]}:{addr[1]}")
        clients.append(conn)
except KeyboardInterrupt:
    print("Stopped")
finally:
    for conn in clients:
        conn.close()
    sock.close()
