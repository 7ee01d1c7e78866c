import select
import socket

server = socket.create_server(("", 10000), backlog=100)
server.setblocking(False)

queues = {}      # client -> bytearray of echo still to send
finished = []    # clients that sent EOF

while True:
    rlist = [server] + [c for c in queues if c not in finished]
    wlist = [c for c in queues if queues[c]]
    readable, writable, _ = select.select(rlist, wlist, [])
    for sock in readable:
        if sock is server:
            try:
                client, address = server.accept()
            except BlockingIOError:
                continue
            client.setblocking(False)
            queues[client] = bytearray()
            print(f"{address} connected ({len(queues)} clients)")
            continue
        try:
            chunk = sock.recv(8192)
        except (BlockingIOError, InterruptedError):
            continue
        except ConnectionError:
            del queues[sock]
            if sock in finished:
                finished.remove(sock)
            sock.close()
            continue
        if chunk:
            queues[sock].extend(chunk)
        elif queues[sock]:
            finished.append(sock)
        else:
            del queues[sock]
            sock.close()
    for sock in writable:
        if sock not in queues:
            continue
        try:
            n = sock.send(queues[sock])
        except BlockingIOError:
            continue
        except ConnectionError:
            del queues[sock]
            if sock in finished:
                finished.remove(sock)
            sock.close()
            continue
        del queues[sock][:n]
        if not queues[sock] and sock in finished:
            finished.remove(sock)
            del queues[sock]
            sock.close()
