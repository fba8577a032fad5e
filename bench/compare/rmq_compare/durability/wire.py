"""A minimal MQTT 3.1.1 client over a blocking socket, standard library only: enough to fill a
session queue or the retained store fast (pipelined QoS 1 publishes), to count what a broker
delivers, and to time a broker's first CONNACK. Not a general client: no QoS 2, no will, no
keep-alive pings (keep-alive 0 = none)."""

import socket
import struct
import time

CONNECT, CONNACK, PUBLISH, PUBACK, SUBSCRIBE, SUBACK, DISCONNECT = 1, 2, 3, 4, 8, 9, 14
PUBACK_SIZE = 4  # 0x40 0x02 id id


class WireError(Exception):
    """The broker refused, closed the connection or sent something unexpected."""


def remaining_length(n):
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8(text):
    data = text.encode() if isinstance(text, str) else text
    return struct.pack(">H", len(data)) + data


def packet(first_byte, body):
    return bytes([first_byte]) + remaining_length(len(body)) + body


def connect_packet(client_id, clean, keepalive=0):
    flags = 0x02 if clean else 0x00
    return packet(CONNECT << 4, utf8("MQTT") + bytes([4, flags]) + struct.pack(">H", keepalive) +
                  utf8(client_id))


def publish_packet(topic, payload, qos=0, packet_id=0, retain=False):
    body = utf8(topic) + (struct.pack(">H", packet_id) if qos else b"") + payload
    return packet((PUBLISH << 4) | (qos << 1) | (1 if retain else 0), body)


def subscribe_packet(packet_id, filters):
    body = struct.pack(">H", packet_id)
    for topic, qos in filters:
        body += utf8(topic) + bytes([qos])
    return packet((SUBSCRIBE << 4) | 0x02, body)


def stamp(seq):
    """The 16-byte payload: sequence number and CLOCK_MONOTONIC ns, both little-endian."""
    return struct.pack("<QQ", seq, time.monotonic_ns())


def parse_header(buf, pos):
    """(first byte, body start, body end) of the packet at `pos`, or None when incomplete."""
    end = len(buf)
    if end - pos < 2:
        return None
    length, shift, at = 0, 0, pos + 1
    while True:
        if at >= end:
            return None
        byte = buf[at]
        length |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            break
        shift += 7
        if shift > 21:
            raise WireError("malformed remaining length")
    if end - at < length:
        return None
    return buf[pos], at, at + length


class Client:
    """One connection; CONNECT is sent and CONNACK checked on construction."""

    def __init__(self, port, client_id, clean=True, timeout=30.0, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.sock.sendall(connect_packet(client_id, clean))
        first, body = self.read_packet()
        if first >> 4 != CONNACK or len(body) != 2:
            raise WireError(f"expected CONNACK, got packet type {first >> 4}")
        if body[1] != 0:
            raise WireError(f"CONNACK refused with return code {body[1]}")
        self.session_present = bool(body[0] & 1)

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise WireError("connection closed by the broker")
        self.buf += data

    def read_packet(self):
        """(first byte, body) of the next packet; blocks up to the socket's timeout."""
        while True:
            header = parse_header(self.buf, 0)
            if header is not None:
                first, start, end = header
                body = bytes(self.buf[start:end])
                del self.buf[:end]
                return first, body
            self._fill()

    def subscribe(self, filters, packet_id=1):
        """Subscribes and returns the granted QoS list (0x80 = refused)."""
        self.sock.sendall(subscribe_packet(packet_id, filters))
        while True:
            first, body = self.read_packet()
            if first >> 4 == SUBACK:
                return list(body[2:])
            raise WireError(f"expected SUBACK, got packet type {first >> 4} (subscribe on a "
                            "connection that has nothing queued)")

    def close(self, disconnect=True):
        try:
            if disconnect:
                self.sock.sendall(bytes([DISCONNECT << 4, 0]))
        except OSError:
            pass
        self.sock.close()


def publish_many(client, count, make_body, window=1000, batch=200):
    """Publishes `count` QoS 1 messages pipelined, at most `window` unacknowledged, and waits for
    every PUBACK. `make_body(i)` -> (first byte, encoded topic, payload) of message i; the packet
    identifier is put between topic and payload. The connection must receive nothing but PUBACKs
    (it is not subscribed). Returns the seconds from the first write to the last PUBACK."""
    if window >= 65535:
        raise ValueError("window must leave packet identifiers free")
    sent = acked = 0
    pending = b""
    started = time.monotonic()
    while acked < count:
        room = min(batch, window - (sent - acked), count - sent)
        if room > 0:
            parts = []
            for i in range(sent, sent + room):
                first, topic, payload = make_body(i)
                body = topic + struct.pack(">H", i % 65535 + 1) + payload
                parts.append(bytes([first]) + remaining_length(len(body)) + body)
            client.sock.sendall(b"".join(parts))
            sent += room
            if sent - acked < window and sent < count:
                client.sock.setblocking(False)
                try:
                    data = client.sock.recv(1 << 20)
                except BlockingIOError:
                    data = None
                finally:
                    client.sock.setblocking(True)
                    client.sock.settimeout(30.0)
                if data is None:
                    continue
            else:
                data = client.sock.recv(1 << 20)
        else:
            data = client.sock.recv(1 << 20)
        if not data:
            raise WireError(f"connection closed after {acked} of {count} PUBACKs")
        pending += data
        whole = len(pending) // PUBACK_SIZE * PUBACK_SIZE
        if pending[0:whole:PUBACK_SIZE].count(PUBACK << 4) != whole // PUBACK_SIZE:
            raise WireError("expected only PUBACKs on a publishing connection")
        acked += whole // PUBACK_SIZE
        pending = pending[whole:]
    return time.monotonic() - started


def qos1_body(topic, payload=16):
    """make_body for publish_many: `payload`-byte stamped payloads (at least 16) on one
    topic."""
    first = (PUBLISH << 4) | 0x02
    encoded = utf8(topic)
    padding = b"\0" * max(0, payload - 16)
    return lambda i: (first, encoded, stamp(i) + padding)


def retained_body(prefix):
    """make_body for publish_many: retained QoS 1 messages, one topic per message."""
    first = (PUBLISH << 4) | 0x02 | 0x01
    return lambda i: (first, utf8(f"{prefix}/{i}"), stamp(i))


class Count:
    """What `receive` saw: PUBLISH packets, distinct sequence numbers below `expected` (from the
    payload stamp) or distinct topics, and the seconds from the call to the last message."""

    def __init__(self):
        self.received = 0
        self.distinct = 0
        self.duplicated = 0
        self.out_of_range = 0
        self.seconds = 0.0


def receive(client, expected, idle_s=3.0, by_topic=False, limit_s=600.0):
    """Reads PUBLISH packets until `expected` distinct ones arrived, nothing came for `idle_s`,
    or `limit_s` passed; acknowledges QoS 1 ones. Distinct = by payload sequence number (a
    single publisher's messages) or, with `by_topic`, by topic (retained messages)."""
    seen = bytearray(expected) if not by_topic else None
    topics = set()
    count = Count()
    started = time.monotonic()
    client.sock.settimeout(idle_s)
    buf = client.buf  # may already hold messages that came with the CONNACK or SUBACK
    data = b""
    while True:
        buf += data
        acks = _parse_publishes(buf, count, seen, topics, by_topic, expected)
        if acks:
            client.sock.sendall(acks)
        if data:
            count.seconds = time.monotonic() - started
        if count.distinct >= expected or time.monotonic() - started >= limit_s:
            break
        try:
            data = client.sock.recv(1 << 20)
        except socket.timeout:
            break
        if not data:
            raise WireError(f"connection closed after {count.received} messages")
    client.sock.settimeout(30.0)
    return count


def _parse_publishes(buf, count, seen, topics, by_topic, expected):
    """Consumes every whole packet in `buf`, counting PUBLISHes into `count`; returns the
    PUBACKs to send."""
    acks = []
    pos = 0
    while True:
        header = parse_header(buf, pos)
        if header is None:
            break
        first, start, end = header
        pos = end
        if first >> 4 != PUBLISH:
            continue
        qos = (first >> 1) & 3
        topic_len = (buf[start] << 8) | buf[start + 1]
        at = start + 2 + topic_len
        if qos:
            acks.append(bytes((PUBACK << 4, 2, buf[at], buf[at + 1])))
            at += 2
        count.received += 1
        if by_topic:
            topic = bytes(buf[start + 2:start + 2 + topic_len])
            if topic in topics:
                count.duplicated += 1
            else:
                topics.add(topic)
                count.distinct += 1
            continue
        seq = int.from_bytes(buf[at:at + 8], "little")
        if seq >= expected:
            count.out_of_range += 1
        elif seen[seq]:
            count.duplicated += 1
        else:
            seen[seq] = 1
            count.distinct += 1
    del buf[:pos]
    return b"".join(acks)
