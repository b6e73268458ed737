#!/usr/bin/env python3
"""upload_sink.py SOCKET — a stand-in Docker API endpoint for measuring the
docker CLI alone: it answers /_ping, reads every other request's body
(chunked or sized) to its end and throws it away, then answers as `docker
load` expects. `docker load` against it times the CLI's own upload, the
ceiling any daemon behind that socket can reach. Benchmark use only."""
import os
import socket
import sys
import threading

LOADED = b'{"stream":"Loaded image: sink\\n"}\n'


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.scratch = bytearray(1 << 20)

    def fill(self):
        n = self.sock.recv_into(self.scratch)
        if n == 0:
            raise EOFError
        self.buf += memoryview(self.scratch)[:n]

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        i = self.buf.index(b"\r\n")
        out = bytes(self.buf[:i])
        del self.buf[: i + 2]
        return out

    def skip(self, n):
        """Discards n body bytes without keeping them."""
        take = min(n, len(self.buf))
        del self.buf[:take]
        n -= take
        while n > 0:
            got = self.sock.recv_into(self.scratch, min(n, len(self.scratch)))
            if got == 0:
                raise EOFError
            n -= got


def serve(sock):
    conn = Conn(sock)
    try:
        while True:
            request = conn.line().decode()
            headers = {}
            while True:
                line = conn.line()
                if not line:
                    break
                key, _, value = line.decode().partition(":")
                headers[key.strip().lower()] = value.strip()
            method, target = request.split(" ")[:2]
            if headers.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    size = int(conn.line().split(b";")[0], 16)
                    if size == 0:
                        while conn.line():
                            pass
                        break
                    conn.skip(size)
                    conn.line()
            else:
                conn.skip(int(headers.get("content-length", "0")))
            if target.split("?")[0].endswith("/_ping"):
                body, kind = b"OK", b"text/plain"
            else:
                body, kind = LOADED, b"application/json"
            head = (b"HTTP/1.1 200 OK\r\nApi-Version: 1.43\r\n"
                    b"Content-Type: " + kind + b"\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(body))
            sock.sendall(head if method == "HEAD" else head + body)
    except (EOFError, ConnectionError, ValueError):
        pass
    finally:
        sock.close()


def main():
    path = sys.argv[1]
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(16)
    while True:
        client, _ = server.accept()
        threading.Thread(target=serve, args=(client,), daemon=True).start()


if __name__ == "__main__":
    main()
