#!/usr/bin/env python3
"""The fault run of the server benchmark: COUNT malformed or hostile
requests against a running `prescan serve` on loopback (random bytes,
bodies over the size limit, bad hex, batches over the file limit, unknown
fields, slow partial bodies), each answered with 4xx or closed by a
timeout; then one correct check, which must still give the right verdict.
Prints the counts as JSON. Bounded in count and time; loopback only.

    faults.py HOST:PORT TOKEN LISTED_MD5 [COUNT]
"""
import json
import random
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

host, port = sys.argv[1].rsplit(":", 1)
port = int(port)
assert host in ("127.0.0.1", "localhost", "::1"), "loopback only"
token, listed_md5 = sys.argv[2], sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 10_000
rng = random.Random(20261201)


def request(body: bytes, content_type="application/json", length=None, slow=False):
    """Sends one request; the status, or 'closed' when the server cut it off."""
    head = (
        f"POST /v1/check HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port), timeout=30) as s:
        try:
            s.sendall(head + (body[: len(body) // 2] if slow else body))
            data = s.recv(64)
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            return "closed"
    if not data:
        return "closed"
    try:
        return int(data.split(b" ")[1])
    except (IndexError, ValueError):
        return "garbage"


def hostile(i):
    kind = i % 8
    if kind == 0:
        return "random bytes", dict(body=bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 2000))))
    if kind == 1:
        # Over the 1 MiB limit: sent whole (the server reads and drops the
        # excess, then answers 413), or declared far larger than what is
        # sent (refused on its Content-Length, before reading).
        if (i // 8) % 2 == 0:
            return "oversized body", dict(body=b'{"files":[{"md5":"' + b"0" * 1_500_000 + b'"}]}')
        return "oversized body (declared 64 MiB)", dict(body=b'{"files":[{"md5":"', length=64 << 20)
    if kind == 2:
        return "bad hex", dict(body=json.dumps({"files": [{"pdq": "zz" * 32, "pdqQuality": 90}]}).encode())
    if kind == 3:
        return "oversize batch", dict(body=json.dumps({"files": [{"md5": "0" * 31 + "1"}] * 65}).encode())
    if kind == 4:
        return "unknown field", dict(body=b'{"files":[{"pixels":"AAAA"}]}')
    if kind == 5:
        return "wrong length", dict(body=b'{"files":[{"sha256":"abcd"}]}')
    if kind == 6:
        return "wrong type", dict(body=b'{"files":"everything"}', content_type="text/plain")
    # A body promised longer than sent: the server's read timeout ends it.
    # Kept rare (every 8th of these, so 1 in 64 requests) as each waits.
    if (i // 8) % 8 == 0:
        return "slow partial body", dict(body=b'{"files":[{"md5":"', length=4096, slow=True)
    return "bad json", dict(body=b'{"files":[{"md5":')


started = time.time()
outcomes = {}
bad = []
cases = [hostile(i) for i in range(count)]


def one(case):
    what, args = case
    if time.time() - started > 600:
        return what, "skipped (time bound)"
    return what, request(**args)


# 16 at a time, so that the slow ones overlap their read timeouts.
with ThreadPoolExecutor(16) as pool:
    for what, status in pool.map(one, cases):
        key = f"{what}: {status}"
        outcomes[key] = outcomes.get(key, 0) + 1
        if not (status == "closed" or (isinstance(status, int) and 400 <= status < 500)):
            bad.append(key)

good = json.dumps({"files": [{"md5": listed_md5}]}).encode()
with socket.create_connection((host, port), timeout=30) as s:
    s.sendall(
        f"POST /v1/check HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(good)}\r\n\r\n".encode() + good
    )
    answer = b""
    while chunk := s.recv(65536):
        answer += chunk
verdict = json.loads(answer.split(b"\r\n\r\n", 1)[1])["verdicts"][0]
print(json.dumps({
    "requests": sum(outcomes.values()),
    "seconds": round(time.time() - started, 1),
    "outcomes": dict(sorted(outcomes.items())),
    "not_4xx_or_closed": len(bad),
    "verdict_after": {"matched": verdict["matched"], "label": verdict["matches"][0]["label"] if verdict["matches"] else None},
}))
