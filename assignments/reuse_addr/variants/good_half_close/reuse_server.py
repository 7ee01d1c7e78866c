import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("Old sock state:", sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
print("New sock state:", sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
sock.bind(("", 8282))
sock.listen()
print("Listening on port: 8282")

open_conns = []
try:
    while True:
        conn, addr = sock.accept()
        print(f"Connected by {addr[0]}:{addr[1]}")
        conn.shutdown(socket.SHUT_WR)  # we send nothing: tell the client so, keep reading side open
        open_conns.append(conn)
finally:
    for conn in open_conns:
        conn.close()
