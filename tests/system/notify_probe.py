#!/usr/bin/env python3
"""Stands in for systemd's notify socket: waits for READY=1 on a datagram
socket and, the moment it arrives, asks the API for /_ping. Prints what it
saw; exits 0 only if the gateway answered 200 when READY=1 came."""
import http.client
import socket
import sys


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=5)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(self.path)


def main():
    notify_path, api_socket, ready_file = sys.argv[1:4]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(notify_path)
    # The caller starts berthd once this file exists.
    open(ready_file, "w").close()
    sock.settimeout(30)
    while True:
        message = sock.recv(4096).decode()
        print("notify:", message, flush=True)
        if "READY=1" in message.split("\n"):
            break
    try:
        conn = UnixHTTPConnection(api_socket)
        conn.request("GET", "/_ping")
        status = conn.getresponse().status
    except OSError as error:
        print("ping failed when READY=1 arrived:", error)
        return 1
    print("ping status when READY=1 arrived:", status)
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
