import select
import socket

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('', 10000))
server.listen(100)
server.setblocking(False)
print('select server on port 10000')

inputs = [server]
outputs = []
buffers = {}
done = set()

while True:
    readable, writable, _ = select.select(inputs, outputs, [])
    for s in readable:
        if s is server:
            conn, addr = server.accept()
            print('connection from', addr)
            conn.setblocking(False)
            inputs.append(conn)
            buffers[conn] = b''
            continue
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            print('reset:', s)
            data = None
        if data:
            print('received', data)
            buffers[s] += data
            if s not in outputs:
                outputs.append(s)
        else:
            print('client done:', s)
            inputs.remove(s)
            if data is None or not buffers[s]:
                if s in outputs:
                    outputs.remove(s)
                del buffers[s]
                s.close()
            else:
                done.add(s)
    for s in writable:
        if s not in buffers:
            continue
        try:
            n = s.send(buffers[s])
        except OSError as e:
            print('send failed:', e)
            outputs.remove(s)
            if s in inputs:
                inputs.remove(s)
            del buffers[s]
            done.discard(s)
            s.close()
            continue
        print('sent', buffers[s][:n])
        buffers[s] = buffers[s][n:]
        if not buffers[s]:
            outputs.remove(s)
            if s in done:
                done.discard(s)
                del buffers[s]
                s.close()
