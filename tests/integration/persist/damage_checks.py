"""Damaged data directories through the binary: a torn tail is cut off, a corrupt record in the
middle or a missing segment stops the start (exit 1, one line naming the file and offset or the
missing segment) unless --recover-skip-corrupt is given. One shard, so one log."""
import os
import struct

from harness import Broker, Client, expect, records, segments, wait_until

EXPIRY = 600
MESSAGE = 8  # record type of a message body (broker/persist/records_schema.h)
PAYLOADS = ["m%d-%s" % (i, chr(ord("a") + i) * 300) for i in range(10)]


def populate(broker):
    """An offline persistent session with the ten PAYLOADS queued, a retained message and a
    large last message; then a clean stop. Returns the newest segment's path."""
    port = broker.start()
    sub = Client(port, "dm-sub", expiry=EXPIRY)
    sub.subscribe("dm/q", 1)
    sub.close()
    pub = Client(port, "dm-pub")
    expect(pub.publish("dm/keep", "kept", 1, retain=True), "no PUBACK for the retained message")
    for payload in PAYLOADS:
        expect(pub.publish("dm/q", payload, 1), "no PUBACK for " + payload[:3])
    expect(pub.publish("dm/q", "last-" + "z" * 4000, 1), "no PUBACK for the last message")
    pub.close()
    code = broker.stop()
    expect(code == 0, "broker exit %r on SIGTERM" % code)
    found = segments(broker.data_dir, 0)
    expect(len(found) == 1, "one segment expected after a clean stop: %r" % found)
    return found[-1][2]


def queued_after_restart(broker, extra=(), want=0):
    """Starts the broker; returns (payloads queued for dm-sub, retained payloads on dm/keep),
    waiting up to 5 s for `want` queued messages, then 0.5 s for more."""
    port = broker.start(extra)
    sub = Client(port, "dm-sub", expiry=EXPIRY, clean=False)
    expect(sub.session_present(), "dm-sub: session lost; log:\n" + broker.log())
    wait_until(lambda: len(sub.messages) >= want, 5.0)
    sub.quiet(0.5)
    got = sub.payloads()
    sub.close()
    watcher = Client(port, "dm-watch")
    watcher.subscribe("dm/keep", 1)
    watcher.quiet(0.5)
    retained = watcher.payloads()
    watcher.close()
    return got, retained


def check_damage_truncated_tail(tmp):
    """The last record cut in half: the start logs `truncated` and keeps everything before it.
    Then a torn record appended after a clean stop: cut off too, nothing before it lost, and the
    messages delivered in between are not delivered again."""
    broker = Broker(tmp, threads=1)
    try:
        path = populate(broker)
        offset, size, _ = records(path)[-1]
        cut = os.path.getsize(path) - (offset + size // 2)
        with open(path, "r+b") as f:
            f.truncate(offset + size // 2)
        print("cut %d bytes off %s (inside the record at offset %d)" % (cut, path, offset))
        got, retained = queued_after_restart(broker, want=10)
        expect("truncated" in broker.log(), "no 'truncated' line:\n" + broker.log())
        expect(got[:10] == PAYLOADS, "queued messages before the cut: %r" % [p[:4] for p in got])
        expect(retained == ["kept"], "retained after the cut: %r" % retained)
        expect(broker.stop() == 0, "broker exit on SIGTERM")

        (_, _, path), = segments(tmp, 0)
        with open(path, "ab") as f:  # announces 200 payload bytes, has 50
            f.write(struct.pack("<II", 200, 0x12345678) + bytes([MESSAGE]) + b"t" * 50)
        got, retained = queued_after_restart(broker)
        expect("truncated" in broker.log(), "no 'truncated' line:\n" + broker.log())
        expect(got == [], "delivered messages came back: %r" % [p[:4] for p in got])
        expect(retained == ["kept"], "retained after the second cut: %r" % retained)
        expect(broker.stop() == 0, "broker exit on SIGTERM")
    finally:
        broker.close()


def check_damage_flipped_byte(tmp):
    """A flipped byte inside a message record in the middle: exit 1 naming the file and the
    offset (of the record or of the byte); with --recover-skip-corrupt the broker starts and
    keeps the other messages."""
    broker = Broker(tmp, threads=1)
    try:
        path = populate(broker)
        bodies = [r for r in records(path) if r[2] == MESSAGE and r[1] > 300]
        expect(len(bodies) >= 10, "fewer message records than messages: %r" % bodies)
        offset, size, _ = bodies[len(bodies) // 2]
        flipped = offset + size - 100  # inside the message payload
        with open(path, "r+b") as f:
            f.seek(flipped)
            byte = f.read(1)
            f.seek(flipped)
            f.write(bytes([byte[0] ^ 0x20]))
        code, output = broker.run_to_exit()
        print("corrupt record at offset %d: exit %s, output:\n%s" % (offset, code, output))
        expect(code == 1, "exit %r with a corrupt record in the middle" % code)
        lines = [line for line in output.splitlines() if os.path.basename(path) in line]
        expect(any(str(offset) in line or str(flipped) in line for line in lines),
               "no line naming %s and offset %d (the record) or %d (the byte)"
               % (path, offset, flipped))
        got, retained = queued_after_restart(broker, ["--recover-skip-corrupt"], want=10)
        print("with --recover-skip-corrupt: %d of 11 queued messages" % len(got))
        lost = [p for p in PAYLOADS if p not in got]
        expect(len(lost) <= 1 and all(p in PAYLOADS or p.startswith("last-") for p in got),
               "queued after skipping one corrupt record: %r" % [p[:4] for p in got])
        expect(retained == ["kept"], "retained after skipping: %r" % retained)
        expect(broker.stop() == 0, "broker exit on SIGTERM")
    finally:
        broker.close()


def remove_middle_segment(broker, tmp):
    """Three clean runs, each leaving a newer segment; the first and the third are put back.
    Returns the path of the missing one."""
    populate(broker)
    saved = []
    for run in range(3):
        if run > 0:
            broker.start()
            expect(broker.stop() == 0, "broker exit on SIGTERM")
        (seg,) = segments(tmp, 0)
        with open(seg[2], "rb") as f:
            saved.append((seg[2], f.read()))
    print("segments after each run: %r" % [os.path.basename(path) for path, _ in saved])
    expect(len({path for path, _ in saved}) == 3, "each start makes a new segment")
    for _, _, path in segments(tmp):
        os.remove(path)
    for path, data in (saved[0], saved[2]):
        with open(path, "wb") as f:
            f.write(data)
    return saved[1][0]


def check_damage_missing_segment(tmp):
    """With the middle segment of three gone the start fails (exit 1) naming it."""
    broker = Broker(tmp, threads=1)
    try:
        missing = remove_middle_segment(broker, tmp)
        code, output = broker.run_to_exit()
        print("exit %s, output:\n%s" % (code, output))
        expect(code == 1, "exit %r with a missing segment" % code)
        expect(os.path.basename(missing) in output,
               "the output does not name the missing segment " + missing)
    finally:
        broker.close()


def check_damage_missing_segment_skipped(tmp):
    """With --recover-skip-corrupt a missing segment does not stop the start; the newest
    segment (a snapshot of the whole state) still gives back the session and retained message."""
    broker = Broker(tmp, threads=1)
    try:
        missing = remove_middle_segment(broker, tmp)
        got, retained = queued_after_restart(broker, ["--recover-skip-corrupt"], want=11)
        expect(os.path.basename(missing) in broker.log(),
               "no warning naming the missing segment " + missing)
        print("with --recover-skip-corrupt: %d of 11 queued messages" % len(got))
        expect(retained == ["kept"], "retained: %r" % retained)
        expect(broker.stop() == 0, "broker exit on SIGTERM")
    finally:
        broker.close()
