"""A loopback TCP proxy in front of the team server that can lose one answer, or go down.

It passes connections through, except the one it is told to hold: that
request reaches the server (which stores the batch) and the server's answer
is read but never passed back, as when a push is killed, or its network
drops, after the server committed and before the client heard. ``held`` is set
once the server has answered that request. From connection ``down_from`` on
it hangs up at once, as a network that went down does.
"""

from __future__ import annotations

import socket
import threading
import urllib.parse


class HeldProxy:
    def __init__(self, upstream: str, hold: int = 0, down_from: int = 0) -> None:
        parts = urllib.parse.urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.hold = hold  # the connection (1-based) whose answer is lost
        self.down_from = down_from
        self.held = threading.Event()
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            if self.down_from and self.connections >= self.down_from:
                client.close()
                continue
            lose = self.connections == self.hold
            server = socket.create_connection(self.upstream)
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, lose), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, lose: bool) -> None:
        try:
            while data := source.recv(65536):
                if not lose:
                    sink.sendall(data)
        except OSError:
            pass
        finally:
            if lose:
                self.held.set()  # the server answered and closed: the batch is stored
            else:
                try:
                    sink.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()
