"""Run the web app: bind the socket first (so the printed URL is the real one, also with
``--port 0``), then hand it to uvicorn."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Callable

from ..errors import UsageError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine (127.0.0.0/8, ::1, localhost)."""
    name = host.strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (port 0: any free port)."""
    name = host.strip("[]")
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host!r}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if sock.family == socket.AF_INET6:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def run(root: Path, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
        say: Callable[[str], None] = print, warn: Callable[[str], None] = print) -> None:
    """Serve the collection at ``root`` until interrupted."""
    import uvicorn

    from .app import LOOPBACK_HOSTS, create_app

    loopback = is_loopback(host)
    if not loopback:
        warn(f"warning: serving on {host}, not only on this machine: anyone who can reach this address "
             "can read the whole collection (there is no login)")
    sock = bind(host, port)
    try:
        app = create_app(root, allowed_hosts=LOOPBACK_HOSTS if loopback else ["*"])
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                server_header=False)
        server = uvicorn.Server(config)
        say(f"Serving {root} at {url_of(sock)}  (read-only; Ctrl+C stops)")
        server.run(sockets=[sock])
    finally:
        sock.close()
