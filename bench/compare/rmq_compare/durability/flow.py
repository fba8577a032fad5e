"""A steady QoS 1 flow at a fixed rate from one publisher to one persistent subscriber, timing
every PUBACK (publish -> ack) and every delivery (the gap since the previous one), while an
optional watcher samples the broker's data directory to see compactions (two log segments of one
shard at once, or a shard's newest segment number going up) or Mosquitto's saves
(mosquitto.db.new present, or mosquitto.db replaced)."""

import os
import re
import selectors
import struct
import time
from dataclasses import dataclass, field

from . import wire

SEGMENT = re.compile(r"^shard-(\d+)-(\d+)\.log$")
TICK_S = 0.001  # publishing granularity
WATCH_EVERY_S = 0.005


@dataclass
class FlowResult:
    published: int = 0
    acked: int = 0
    delivered: int = 0
    ack_ms: list = field(default_factory=list)  # (publish time s, publish -> PUBACK ms)
    gaps_ms: list = field(default_factory=list)  # (previous delivery s, gap ms)
    compactions: list = field(default_factory=list)  # [start s, end s] relative to the start
    segment_seqs_seen: int = 0  # distinct newest segment numbers seen (new segments made)
    blocked_s: float = 0.0  # time the publisher waited for free packet identifiers


class SegmentWatcher:
    """Samples `data_dir`: a compaction is in progress while a shard has two segments (a save
    while mosquitto.db.new exists); a shard's newest segment number changing between samples
    (mosquitto.db's inode) is one seen only at its end."""

    def __init__(self, data_dir, origin):
        self.data_dir = data_dir
        self.origin = origin
        self.open_since = None
        self.windows = []
        self.newest = {}
        self.new_segments = 0

    def sample(self, now):
        per_shard = {}
        try:
            names = os.listdir(self.data_dir)
        except OSError:
            return
        for name in names:
            match = SEGMENT.match(name)
            if match:
                per_shard.setdefault(int(match.group(1)), []).append(int(match.group(2)))
        # Mosquitto writes its database to mosquitto.db.new and renames it over mosquitto.db.
        if "mosquitto.db" in names:
            try:
                per_shard[-1] = [os.stat(os.path.join(self.data_dir, "mosquitto.db")).st_ino]
            except OSError:
                pass
        busy = any(len(seqs) > 1 for seqs in per_shard.values()) or "mosquitto.db.new" in names
        for shard, seqs in per_shard.items():
            top = max(seqs)
            if shard in self.newest and top != self.newest[shard]:
                self.new_segments += 1
                if not busy and self.open_since is None:  # began and ended between samples
                    self.windows.append([now - WATCH_EVERY_S - self.origin, now - self.origin])
            self.newest[shard] = top
        if busy and self.open_since is None:
            self.open_since = now
        elif not busy and self.open_since is not None:
            self.windows.append([self.open_since - self.origin, now - self.origin])
            self.open_since = None

    def finish(self, now):
        if self.open_since is not None:
            self.windows.append([self.open_since - self.origin, now - self.origin])
            self.open_since = None


def _publish_packet(topic, seq, packet_id, padding):
    body = wire.utf8(topic) + struct.pack(">H", packet_id) + wire.stamp(seq) + padding
    return bytes([(wire.PUBLISH << 4) | 0x02]) + wire.remaining_length(len(body)) + body


class Flow:
    """Publisher and subscriber on one selector loop; run() publishes for `seconds`, then waits
    up to `drain_s` for the rest."""

    def __init__(self, port, topic, rate, payload, data_dir=None, client_prefix="flow"):
        self.topic = topic
        self.rate = rate
        self.padding = b"\0" * max(0, payload - 16)
        self.sub = wire.Client(port, f"{client_prefix}-sub", clean=False)
        if self.sub.subscribe([(topic, 1)]) != [1]:
            raise wire.WireError("flow subscription not granted at QoS 1")
        self.pub = wire.Client(port, f"{client_prefix}-pub", clean=True)
        self.data_dir = data_dir
        self.sent_at = {}
        self.result = FlowResult()
        self.last_delivery = None
        self.pub_pending = b""

    def _on_pub_readable(self, now):
        data = self.pub.sock.recv(1 << 20)
        if not data:
            raise wire.WireError("publisher connection closed by the broker")
        data = self.pub_pending + data
        whole = len(data) // 4 * 4
        for at in range(0, whole, 4):
            if data[at] != wire.PUBACK << 4:
                raise wire.WireError("publisher got something other than PUBACK")
            packet_id = (data[at + 2] << 8) | data[at + 3]
            sent = self.sent_at.pop(packet_id, None)
            if sent is not None:
                self.result.acked += 1
                self.result.ack_ms.append((sent - self.origin, (now - sent) * 1000))
        self.pub_pending = data[whole:]

    def _on_sub_readable(self, now):
        data = self.sub.sock.recv(1 << 20)
        if not data:
            raise wire.WireError("subscriber connection closed by the broker")
        self.sub.buf += data
        acks = []
        buf, pos = self.sub.buf, 0
        while True:
            header = wire.parse_header(buf, pos)
            if header is None:
                break
            first, start, end = header
            pos = end
            if first >> 4 != wire.PUBLISH:
                continue
            at = start + 2 + ((buf[start] << 8) | buf[start + 1])
            if (first >> 1) & 3:
                acks.append(bytes((wire.PUBACK << 4, 2, buf[at], buf[at + 1])))
            self.result.delivered += 1
            if self.last_delivery is not None:
                self.result.gaps_ms.append((self.last_delivery - self.origin,
                                            (now - self.last_delivery) * 1000))
            self.last_delivery = now
        del buf[:pos]
        if acks:
            self.sub.sock.sendall(b"".join(acks))

    def _publish_due(self, now, started):
        due = int((now - started) * self.rate) - self.result.published
        parts = []
        for _ in range(max(0, due)):
            packet_id = self.result.published % 65535 + 1
            if packet_id in self.sent_at:  # every identifier in use: wait for acks
                return False
            self.sent_at[packet_id] = now
            parts.append(_publish_packet(self.topic, self.result.published, packet_id,
                                         self.padding))
            self.result.published += 1
        if parts:
            self.pub.sock.sendall(b"".join(parts))
        return True

    def run(self, seconds, drain_s=5.0):
        selector = selectors.DefaultSelector()
        selector.register(self.pub.sock, selectors.EVENT_READ, self._on_pub_readable)
        selector.register(self.sub.sock, selectors.EVENT_READ, self._on_sub_readable)
        self.origin = started = time.monotonic()
        watcher = SegmentWatcher(self.data_dir, started) if self.data_dir else None
        next_watch = started
        deadline = started + seconds
        while True:
            now = time.monotonic()
            publishing = now < deadline
            if not publishing and (len(self.sent_at) == 0 and
                                   self.result.delivered >= self.result.published
                                   or now > deadline + drain_s):
                break
            if publishing and not self._publish_due(now, started):
                self.result.blocked_s += TICK_S
            if watcher and now >= next_watch:
                watcher.sample(now)
                next_watch = now + WATCH_EVERY_S
            for key, _ in selector.select(timeout=TICK_S):
                key.data(time.monotonic())
        if watcher:
            watcher.finish(time.monotonic())
            self.result.compactions = watcher.windows
            self.result.segment_seqs_seen = watcher.new_segments
        selector.close()
        self.pub.close()
        self.sub.close()
        return self.result
