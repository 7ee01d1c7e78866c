# recv() in a loop until the newline arrives, bytes joined with b"".join.
import socket

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("0.0.0.0", 51423))
server.listen(5)
while True:
    conn, addr = server.accept()
    try:
        conn.send(("Welcome, %s\n" % (addr,)).encode())
        conn.send(b"Please enter a string: ")
        chunks = []
        while True:
            chunk = conn.recv(16)
            if not chunk:
                break
            chunks.append(chunk)
            if b"\n" in chunk:
                break
        data = b"".join(chunks)
        if data:
            text = data.split(b"\n")[0].decode()
            conn.send(f"You entered {len(text.strip())} characters.\n".encode())
    except ConnectionError:
        pass
    finally:
        conn.close()
