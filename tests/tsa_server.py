"""Local servers for the tests: a real RFC 3161 time-stamp authority on 127.0.0.1 (SAMPLE keys,
thrown away) and a page server (HTTP, or HTTPS with the throw-away TLS certificates).

A throw-away CA and a TSA certificate are made with the openssl command line; the HTTP server
answers each ``application/timestamp-query`` POST by running ``openssl ts -reply``. Nothing
here talks to the internet."""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TSA_CONFIG = """\
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = {dir}/serial
signer_cert = {dir}/tsa.crt
signer_key = {dir}/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
[ tsa_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _run(*args: str, cwd: Path, input: bytes | None = None) -> bytes:
    done = subprocess.run(["openssl", *args], cwd=cwd, input=input, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def make_pki(folder: Path, *, name: str = "SAMPLE test") -> Path:
    """A CA (ca.crt) and a TSA certificate signed by it (tsa.crt, tsa.key) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tsa.cnf").write_text(TSA_CONFIG.format(dir=folder))
    (folder / "serial").write_text("01\n")
    _run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "3",
         "-subj", f"/CN={name} CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    _run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
         "-subj", f"/CN={name} TSA", cwd=folder)
    _run("x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "tsa.crt", "-days", "3", "-extfile", "tsa.cnf", "-extensions", "tsa_ext", cwd=folder)
    return folder


@dataclass
class LocalTSA:
    url: str
    ca: Path
    folder: Path
    requests: list
    server: ThreadingHTTPServer

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start(folder: Path) -> LocalTSA:
    lock = threading.Lock()
    seen: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            query = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(query)
            with lock:  # openssl ts keeps its serial number in a file
                (folder / "query.tsq").write_bytes(query)
                try:
                    reply = _run("ts", "-reply", "-config", "tsa.cnf", "-queryfile", "query.tsq", cwd=folder)
                except RuntimeError:
                    self.send_response(400)
                    self.end_headers()
                    return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return LocalTSA(url=f"http://127.0.0.1:{httpd.server_address[1]}/tsa", ca=folder / "ca.crt",
                    folder=folder, requests=seen, server=httpd)


def make_tls(folder: Path) -> Path:
    """A throw-away CA (tls-ca.crt) and a certificate for 127.0.0.1 signed by it (server.pem:
    certificate then CA; server.key), for serving https in tests."""
    folder.mkdir(parents=True, exist_ok=True)
    _run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "tls-ca.key", "-out", "tls-ca.crt", "-days", "3",
         "-subj", "/CN=SAMPLE TLS CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign", cwd=folder)
    _run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=127.0.0.1", cwd=folder)
    (folder / "server.ext").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                       "extendedKeyUsage=serverAuth\n")
    _run("x509", "-req", "-in", "server.csr", "-CA", "tls-ca.crt", "-CAkey", "tls-ca.key", "-CAcreateserial",
         "-out", "server.crt", "-days", "3", "-extfile", "server.ext", cwd=folder)
    (folder / "server.pem").write_bytes((folder / "server.crt").read_bytes() + (folder / "tls-ca.crt").read_bytes())
    return folder


def page_server(respond) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 (not started yet: the caller may wrap its socket in TLS) that
    answers each GET with ``respond(path) -> (status, headers, body)``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, headers, body = respond(self.path)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)
