"""A measurement, not a test: the round-trip latency of a well-behaved client while a storm of
wrong-password CONNECTs hits the broker.

usage: auth_storm.py PORT USER PASSWORD [--storm N] [--procs P] [--threads T] [--seconds S]

USER/PASSWORD must be valid on the broker (e.g. `ringmq passwd -c -b pw u good` and
`ringmq --password-file pw`). One process subscribes to a topic and publishes QoS 0 messages to
itself one at a time for S seconds, timing each round trip; after a second, P other processes
(T threads each) send N CONNECTs with USER and a wrong password in all, each on a new
connection, and read the CONNACK. Plain sockets, MQTT 3.1.1; prints the latency summary and the
CONNACK codes the storm got.
"""

import argparse
import multiprocessing
import socket
import struct
import threading
import time


def _string(b):
    return struct.pack(">H", len(b)) + b


def _varint(n):
    out = b""
    while True:
        digit, n = n % 128, n // 128
        out += bytes([digit | (0x80 if n else 0)])
        if not n:
            return out


def _connect(client_id, user, password):
    body = _string(b"MQTT") + bytes([4, 0xC2]) + struct.pack(">H", 60)
    body += _string(client_id.encode()) + _string(user.encode()) + _string(password.encode())
    return bytes([0x10]) + _varint(len(body)) + body


def _read(sock):
    header = sock.recv(1)
    if not header:
        return None
    size, shift = 0, 0
    while True:
        b = sock.recv(1)[0]
        size |= (b & 127) << shift
        shift += 7
        if not b & 128:
            break
    body = b""
    while len(body) < size:
        chunk = sock.recv(size - len(body))
        if not chunk:
            return None
        body += chunk
    return header[0], body


def _storm(port, user, count, threads, start_at, results):
    time.sleep(max(0.0, start_at - time.time()))
    left, lock, codes = [count], threading.Lock(), {}

    def worker():
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                    s.sendall(_connect("storm", user, "wrong-password"))
                    packet = _read(s)
                    code = packet[1][1] if packet else "closed"
            except OSError as e:
                code = type(e).__name__
            with lock:
                codes[code] = codes.get(code, 0) + 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    results.put(codes)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("user")
    parser.add_argument("password")
    parser.add_argument("--storm", type=int, default=2000)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    a = parser.parse_args()

    s = socket.create_connection(("127.0.0.1", a.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(_connect("pinger", a.user, a.password))
    assert _read(s)[1][1] == 0, "the well-behaved client was refused"
    topic = b"storm/latency"
    s.sendall(bytes([0x82]) + _varint(5 + len(topic)) + struct.pack(">H", 1) + _string(topic) + b"\0")
    _read(s)
    publish = bytes([0x30]) + _varint(2 + len(topic) + 8) + _string(topic) + b"12345678"

    results = multiprocessing.Queue()
    start_at = time.time() + 1.0
    per_proc = a.storm // a.procs if a.storm else 0
    storms = [multiprocessing.Process(target=_storm,
                                      args=(a.port, a.user, per_proc, a.threads, start_at, results))
              for _ in range(a.procs if a.storm else 0)]
    for p in storms:
        p.start()
    rtts = []
    end = time.perf_counter() + a.seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        s.sendall(publish)
        _read(s)
        rtts.append(time.perf_counter() - t0)
        time.sleep(0.001)
    codes = {}
    for p in storms:
        for code, n in results.get().items():
            codes[code] = codes.get(code, 0) + n
        p.join()
    rtts.sort()
    print("storm=%d round-trips=%d p50=%.3fms p99=%.3fms max=%.3fms connack codes=%s" % (
        a.storm, len(rtts), rtts[len(rtts) // 2] * 1e3, rtts[int(len(rtts) * 0.99)] * 1e3,
        rtts[-1] * 1e3, codes))


if __name__ == "__main__":
    main()
