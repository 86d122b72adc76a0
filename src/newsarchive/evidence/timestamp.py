"""RFC 3161 trusted timestamps of captures.

For a capture (version N of an entry) three files are written beside it, in ``vN/``:

``timestamp-manifest.sha256``
    one line ``<sha256>  <path>`` per stored file of that capture (the snapshot, its text, its
    WARC, the TLS certificate chain), paths relative to the entry folder: ``sha256sum -c`` run
    in the entry folder checks it.
``timestamp.tsr``
    the time-stamp authority's DER-encoded response (``TimeStampResp``) over the SHA-256 of
    the manifest's bytes.
``timestamp-chain.pem``
    the certificates that lead from the TSA's signing certificate to its root (given by the
    user with ``--tsa-ca``, as every TSA publishes them), so the token can be checked offline.
``timestamp-history.jsonl``
    a copy of the entry's custody log (``history.jsonl``) as it was when the stamp was asked
    for, listed in the manifest: the log is append-only, so it must still begin with these
    bytes. This anchors the hash chain outside the archive: someone who rewrites the log and
    every hash the archive records (which the chain alone cannot show for the last line) is
    caught by the token.

A recipient checks it with ``openssl ts -verify -data vN/timestamp-manifest.sha256 -in
vN/timestamp.tsr -CAfile vN/timestamp-chain.pem`` (and should compare the root certificate
with the one the TSA publishes: a chain stored beside a token only proves that the token is
consistent with it). ``verify`` checks the same offline: the message imprint is the manifest's
hash, the signature holds, the signing certificate chains to the stored root (or, with
``verify --tsa-roots FILE``, to one of the roots the user trusts) and is meant for time
stamping, and every file the manifest lists still has its hash.

The ASN.1/CMS work is done by rfc3161-client (maintained by Trail of Bits; it builds requests,
parses responses and verifies them with OpenSSL's PKCS#7 code). It insists on strict DER: a
TSA whose answer carries several certificates in an unsorted SET is refused with one line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import TimestampError

TOKEN_NAME = "timestamp.tsr"
MANIFEST_NAME = "timestamp-manifest.sha256"
CHAIN_NAME = "timestamp-chain.pem"
HISTORY_NAME = "timestamp-history.jsonl"
NAMES = (TOKEN_NAME, MANIFEST_NAME, CHAIN_NAME, HISTORY_NAME)
MAX_RESPONSE = 1 << 20  # a TimeStampResp is a few KiB; anything near this is not one
TIMEOUT = 30.0


@dataclass(frozen=True)
class TokenInfo:
    """What a verified token says."""

    time: str  # genTime, ISO 8601 UTC ("2026-11-27T02:01:23Z")
    serial: str
    policy: str
    signer: str  # the subject of the signing certificate (RFC 4514)
    imprint: str  # hex SHA-256 that was stamped


def version_folder(version: int) -> str:
    return f"v{version}"


def capture_files(recorded: Mapping[str, str], version: int) -> dict[str, str]:
    """The files of one capture among an entry's recorded hashes (its manifest): everything
    under ``vN/`` but the timestamp's own files."""
    prefix = version_folder(version) + "/"
    return {rel: h for rel, h in recorded.items()
            if rel.startswith(prefix) and rel.split("/", 1)[1] not in NAMES}


def manifest_bytes(files: Mapping[str, str]) -> bytes:
    """``<sha256>  <path>`` lines (the format of sha256sum and of BagIt manifests), sorted."""
    return "".join(f"{h}  {rel}\n" for rel, h in sorted(files.items())).encode("utf-8")


def parse_manifest(data: bytes) -> dict[str, str]:
    from .. import store as st

    hashes, bad = st.parse_manifest(data)
    if bad:
        raise TimestampError(f"the timestamped manifest is damaged: {bad[0]}")
    return hashes


def load_chain(pem: bytes, *, source: str = "the certificate file") -> list[Any]:
    """PEM certificates (the TSA's chain to its root)."""
    from cryptography import x509

    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise TimestampError(f"{source} holds no readable PEM certificate") from None
    return certs


def load_roots(path: Path) -> list[Any]:
    """The root certificates a user trusts for time stamps (``verify --tsa-roots FILE``: the
    PEM roots the authorities publish): the self-signed certificates in ``path``. Raises
    UsageError when the file cannot be read or holds no root."""
    _pem, certs = _certificate_file(path, "--tsa-roots")
    return [c for c in certs if c.subject == c.issuer]


def _certificate_file(path: Path, option: str) -> tuple[bytes, list[Any]]:
    """(bytes, certificates) of the PEM file given with ``option``, which must hold a root
    (self-signed) certificate; UsageError naming the option otherwise."""
    from ..errors import UsageError

    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {option} {path}: {exc.strerror or exc}") from None
    try:
        certs = load_chain(pem, source=f"{option} {path}")
    except TimestampError as exc:
        raise UsageError(str(exc)) from None
    if not any(c.subject == c.issuer for c in certs):
        raise UsageError(f"{option} {path} has no root (self-signed) certificate")
    return pem, certs


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if "ErrorStack" in text:  # OpenSSL's error queue: keep the reason it ends with
        import re

        reasons = re.findall(r'reason: "([^"]+)"', text)
        data = re.findall(r'data: "([^"]+)"', text)
        text = text.split(": Unable", 1)[0].split(" ErrorStack", 1)[0].rstrip(":")
        text = f"{text}: {(data or reasons or ['?'])[-1]}"
    return text[:200] or type(exc).__name__


def _info(response: Any) -> TokenInfo:
    from cryptography import x509

    tst = response.tst_info
    signer = ""
    certs = [x509.load_der_x509_certificate(c) for c in response.signed_data.certificates]
    infos = list(response.signed_data.signer_infos)
    for cert in certs:
        if infos and cert.serial_number == infos[0].serial_number:
            signer = cert.subject.rfc4514_string()
    when = tst.gen_time
    return TokenInfo(time=when.strftime("%Y-%m-%dT%H:%M:%SZ"), serial=str(tst.serial_number),
                     policy=tst.policy.dotted_string, signer=signer,
                     imprint=tst.message_imprint.message.hex())


def parse(token: bytes) -> Any:
    import rfc3161_client

    try:
        return rfc3161_client.decode_timestamp_response(token)
    except (ValueError, TypeError) as exc:
        raise TimestampError(f"not a readable RFC 3161 time-stamp response ({_short(exc)})") from None


def verify(token: bytes, data: bytes, chain: list[Any] | bytes, *, roots: list[Any] | None = None) -> TokenInfo:
    """Check a stored token against the bytes it should stamp and the TSA's chain: status
    granted, message imprint = SHA-256 of ``data``, signature, chain to a root of ``chain``,
    a signing certificate for time stamping. ``roots``: trust only these root certificates
    (the user's, see :func:`load_roots`), with the chain's other certificates as
    intermediates; the chain's own root then counts for nothing. Raises
    :class:`TimestampError` with one line."""
    import rfc3161_client
    from cryptography import x509

    if isinstance(chain, (bytes, bytearray)):
        chain = load_chain(bytes(chain), source="the stored certificate chain")
    response = parse(token)
    given = roots is not None
    if roots is None:
        roots = [c for c in chain if c.subject == c.issuer]
    if not roots:
        raise TimestampError("the certificate chain has no root (self-signed) certificate")
    builder = rfc3161_client.VerifierBuilder()
    for cert in roots:
        builder = builder.add_root_certificate(cert)
    for cert in chain:
        if cert.subject != cert.issuer:
            builder = builder.add_intermediate_certificate(cert)
    tst = response.tst_info
    if tst.message_imprint.hash_algorithm != x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1"):
        raise TimestampError("the token does not stamp a SHA-256 hash")
    if tst.message_imprint.message != hashlib.sha256(data).digest():
        raise TimestampError("the token stamps another hash than this manifest's (message imprint differs)")
    try:
        builder.build().verify_message(response, data)
    except rfc3161_client.VerificationError as exc:
        against = " against the trusted roots given (--tsa-roots)" if given else ""
        raise TimestampError(f"the token does not verify{against}: {_short(exc)}") from None
    except ValueError as exc:
        raise TimestampError(f"the token cannot be checked: {_short(exc)}") from None
    return _info(response)


def request(tsa_url: str, data: bytes, *, timeout: float = TIMEOUT, transport: Any = None) -> tuple[bytes, TokenInfo]:
    """Ask the TSA at ``tsa_url`` to stamp SHA-256(``data``) (RFC 3161 over HTTP: POST
    ``application/timestamp-query``). Returns the response bytes and what they say, after
    checking that it is granted, answers this request (nonce) and stamps this hash."""
    import httpx
    import rfc3161_client

    from urllib.parse import urlsplit

    if urlsplit(tsa_url).scheme.lower() not in ("http", "https") or not urlsplit(tsa_url).hostname:
        raise TimestampError(f"the TSA URL must be an http(s) URL, not {tsa_url!r}")
    req = (rfc3161_client.TimestampRequestBuilder().data(data)
           .hash_algorithm(rfc3161_client.HashAlgorithm.SHA256).build())
    kwargs: dict[str, Any] = {"timeout": timeout}
    if transport is not None:
        kwargs["transport"] = transport
    try:
        with httpx.Client(**kwargs) as client, client.stream(
                "POST", tsa_url, content=req.as_bytes(),
                headers={"Content-Type": "application/timestamp-query",
                         "Accept": "application/timestamp-reply"}) as resp:
            if resp.status_code != 200:
                raise TimestampError(f"the TSA at {tsa_url} answered HTTP {resp.status_code} {resp.reason_phrase}")
            chunks, size = [], 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE:
                    raise TimestampError(f"the TSA at {tsa_url} sent more than {MAX_RESPONSE} bytes: not a time-stamp response")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise TimestampError(f"cannot reach the TSA at {tsa_url}: {_short(exc)}") from None
    body = b"".join(chunks)
    response = parse(body)
    if response.status not in (0, 1):
        why = "; ".join(response.status_string) if response.status_string else ""
        raise TimestampError(f"the TSA at {tsa_url} refused the request (status {response.status}"
                             + (f": {why}" if why else "") + ")")
    tst = response.tst_info
    if req.nonce is not None and tst.nonce != req.nonce:
        raise TimestampError(f"the TSA at {tsa_url} answered another request (nonce differs)")
    if tst.message_imprint.message != hashlib.sha256(data).digest():
        raise TimestampError(f"the TSA at {tsa_url} stamped another hash than the one sent")
    return body, _info(response)


# --------------------------------------------------------------------------- checking stored ones

def check_snapshot(folder: Path, version: int, stamp: Mapping[str, Any], *,
                   roots: list[Any] | None = None) -> list[tuple[str, str, str]]:
    """Problems with a stored timestamp of one capture, as (kind, relpath, detail): a missing
    file, a token that does not verify against its manifest and chain (``roots``: and the
    user's trusted roots instead of the stored chain's own), a file the manifest lists that no
    longer has the stamped hash. Offline; never raises for bad data."""
    from ..fixity import hash_file

    out: list[tuple[str, str, str]] = []
    label = f"version {version} timestamp"
    rels = {key: str(stamp.get(key) or "") for key in ("token", "manifest", "chain")}
    if stamp.get("history"):
        try:
            copy = (folder / str(stamp["history"])).read_bytes()
            current = (folder / "history.jsonl").read_bytes()
        except OSError:
            copy = current = None  # reported below (a file the manifest lists) or by the fixity check
        if copy is not None and not current.startswith(copy):
            n = copy.count(b"\n")
            out.append(("invalid", "history.jsonl", f"{label}: the custody log no longer begins with the {n} "
                        f"line{'s' if n != 1 else ''} it had when stamped (a line was changed, removed or reordered)"))
    blobs: dict[str, bytes] = {}
    for key, rel in rels.items():
        if not rel:
            out.append(("invalid", "entry.json", f"{label}: no {key} recorded"))
            continue
        try:
            blobs[key] = (folder / rel).read_bytes()
        except FileNotFoundError:
            out.append(("missing", rel, f"{label}: the {key} file is missing"))
        except OSError as exc:
            out.append(("corrupt", rel, f"{label}: cannot read the {key} file ({exc.strerror})"))
    if len(blobs) < 3:
        return out
    try:
        chain = load_chain(blobs["chain"], source="the stored certificate chain")
    except TimestampError as exc:
        return [*out, ("corrupt", rels["chain"], f"{label}: {exc}")]
    try:
        info = verify(blobs["token"], blobs["manifest"], chain, roots=roots)
    except TimestampError as exc:
        return [*out, ("corrupt", rels["token"], f"{label}: {exc}")]
    if stamp.get("time") and stamp["time"] != info.time:
        out.append(("invalid", "entry.json", f"{label}: recorded time {stamp['time']} is not the token's {info.time}"))
    try:
        listed = parse_manifest(blobs["manifest"])
    except TimestampError as exc:
        return [*out, ("corrupt", rels["manifest"], f"{label}: {exc}")]
    for rel, want in sorted(listed.items()):
        try:
            got = hash_file(folder / rel)
        except FileNotFoundError:
            out.append(("missing", rel, f"{label}: a file it stamps is missing"))
            continue
        except OSError as exc:
            out.append(("corrupt", rel, f"{label}: cannot read a file it stamps ({exc.strerror})"))
            continue
        if got != want:
            out.append(("corrupt", rel, f"{label}: SHA-256 {got[:16]}… is not the stamped {want[:16]}…"))
    return out


# --------------------------------------------------------------------------- the use case

def check_options(tsa_url: str | None, ca_file: Path | None) -> tuple[bytes, list[Any]]:
    """The TSA options, checked before anything is fetched or written: (the CA file's bytes, its
    certificates). No TSA is ever chosen for the user."""
    from ..errors import UsageError

    if not tsa_url:
        raise UsageError("no time-stamp authority configured: give --tsa URL and --tsa-ca FILE, or set "
                         "evidence.tsa_url and evidence.tsa_ca with `newsarchive config --set`; nothing is "
                         "sent to a third party by default")
    if ca_file is None:
        raise UsageError("no CA certificates for the TSA: give --tsa-ca FILE (or set evidence.tsa_ca), the PEM "
                         "certificates of its chain to its root that the TSA publishes, kept beside each "
                         "token so that it can be checked offline")
    return _certificate_file(Path(ca_file), "--tsa-ca")


@dataclass
class StampOutcome:
    """One line of ``timestamp``'s report: an entry version stamped, already stamped, or failed."""

    ref: str
    status: str  # stamped | already | failed
    id: str | None = None
    version: int | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "status": self.status, "id": self.id, "version": self.version,
                "message": self.message}


def stamp(root: Path, refs: Iterable[str], *, tsa_url: str | None, ca_file: Path | None,
          versions: Iterable[int] | None = None, lock_timeout: float = 30.0,
          transport: Any = None) -> list[StampOutcome]:
    """Timestamp every capture of the entries ``refs`` that has no timestamp yet (or only
    ``versions``). The entry must check out (damaged bytes are never stamped). The TSA is asked
    outside the collection lock; the files are then added in one commit per entry, with a
    ``timestamp`` history event, re-checked against the state the request was made from."""
    from .. import api
    from .. import store as st
    from ..errors import EntryChanged, NewsArchiveError
    from ..fixity import check_entry
    from ..model import Entry, now_utc

    from . import tsa_of

    tsa_url, ca_file = tsa_of(root, url=tsa_url, ca=ca_file)
    chain_pem, chain = check_options(tsa_url, ca_file)
    store = api.open_store(root)
    wanted = set(versions) if versions is not None else None
    out: list[StampOutcome] = []
    for ref in refs:
        try:
            entry_id = store.resolve(ref)
        except NewsArchiveError as exc:
            out.append(StampOutcome(ref, "failed", message=str(exc)))
            continue
        entry, problems = check_entry(store, entry_id)
        damage = [p for p in problems if p.kind != "note"]
        if entry is None or damage:
            first = damage[0] if damage else None
            why = f"{first.path}: {first.detail}" if first else "its metadata cannot be read"
            out.append(StampOutcome(ref, "failed", entry_id, message=f"damaged, not stamped: {why}"))
            continue
        if not entry.snapshots:
            out.append(StampOutcome(ref, "failed", entry_id, message="no capture to timestamp (a metadata-only entry)"))
            continue
        recorded = store.manifest(entry_id)
        if recorded is None:
            out.append(StampOutcome(ref, "failed", entry_id, message="no fixity manifest (written by an older "
                                    "version): run `newsarchive verify --seal` first"))
            continue
        before = api.entry_sha256(store, entry_id)
        try:
            history = st.split_history((store.entry_dir(entry_id) / st.HISTORY_FILE).read_bytes())[0]
        except FileNotFoundError:
            history = b""
        files: list[st.NewFile] = []
        stamps: dict[int, dict[str, Any]] = {}
        failed = False
        for n, snap in enumerate(entry.snapshots, 1):
            if wanted is not None and n not in wanted:
                continue
            if snap.timestamp:
                out.append(StampOutcome(ref, "already", entry_id, n, f"stamped {snap.timestamp.get('time')}"))
                continue
            listed = capture_files(recorded, n)
            if not listed:
                out.append(StampOutcome(ref, "failed", entry_id, n, f"no stored files under v{n}/"))
                continue
            folder = version_folder(n)
            log_copy = f"{folder}/{HISTORY_NAME}"
            listed[log_copy] = hashlib.sha256(history).hexdigest()
            manifest = manifest_bytes(listed)
            try:
                token, info = request(tsa_url, manifest, transport=transport)
                verify(token, manifest, chain)
            except TimestampError as exc:
                out.append(StampOutcome(ref, "failed", entry_id, n, str(exc)))
                failed = True
                break
            paths = {"token": f"{folder}/{TOKEN_NAME}", "manifest": f"{folder}/{MANIFEST_NAME}",
                     "chain": f"{folder}/{CHAIN_NAME}", "history": log_copy}
            files += [st.NewFile(paths["manifest"], manifest), st.NewFile(paths["token"], token),
                      st.NewFile(paths["chain"], chain_pem), st.NewFile(log_copy, history)]
            stamps[n] = {**paths, "tsa": tsa_url, "time": info.time, "serial": info.serial,
                         "policy": info.policy, "signer": info.signer,
                         "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
                         "token_sha256": hashlib.sha256(token).hexdigest()}
        if failed or not stamps:
            continue
        data = entry.to_json()
        for n, value in stamps.items():
            data["snapshots"][n - 1]["timestamp"] = value
        updated = Entry.from_json(data)
        events = [{"at": now_utc().iso(), "action": "timestamp", "version": n, "tsa": s["tsa"],
                    "time": s["time"], "serial": s["serial"], "manifest_sha256": s["manifest_sha256"],
                    "token_sha256": s["token_sha256"]} for n, s in stamps.items()]
        try:
            with store.lock(timeout=lock_timeout), api.IndexSession(store) as session:
                session.touch(entry_id)
                store.commit(updated, files=files, history=events, expect_sha256=before)
                session.upsert(updated, api.body_text(store, updated))
        except EntryChanged as exc:
            out.append(StampOutcome(ref, "failed", entry_id, None, str(exc)))
            continue
        also = (f"; the search index could not be updated ({session.error}): run `newsarchive reindex`"
                if session.error else "")
        for n, s in stamps.items():
            out.append(StampOutcome(ref, "stamped", entry_id, n, f"{s['time']} by {tsa_url}{also}"))
    return out
