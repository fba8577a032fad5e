"""A full disk: the data directory is a small tmpfs. While writes fail the broker keeps running
and serving QoS 0, and holds the PUBACK of QoS 1 messages for a persistent session; once space
is freed the held acknowledgements arrive and the messages are delivered."""
import os
import subprocess
import time

from harness import Broker, Client, expect

SIZE = "256k"
FILLER = 64 * 1024
PAYLOAD = 8 * 1024
EXPIRY = 600


class Skip(Exception):
    """The check cannot run here (exit status 77)."""


def mount_tmpfs(path):
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + SIZE, "tmpfs", path],
                       capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        raise Skip("cannot mount a tmpfs (%s): %s" % (r.returncode, r.stderr.strip()))


def unmount(path):
    r = subprocess.run(["umount", path], capture_output=True, timeout=10)
    if r.returncode != 0:
        subprocess.run(["umount", "-l", path], capture_output=True, timeout=10)


def fill(port):
    """Publishes QoS 1 messages to the offline session until one is not acknowledged within
    2 s; returns (client, acknowledged payloads, the held message's info and payload)."""
    pub = Client(port, "df-pub")
    acked = []
    for i in range(200):
        payload = "df-%d-%s" % (i, "x" * PAYLOAD)
        info = pub.c.publish("df/q", payload, 1)
        info.wait_for_publish(2.0)
        if not info.is_published():
            print("message %d not acknowledged: the disk is full" % i)
            return pub, acked, info, payload
        acked.append(payload)
    raise AssertionError("200 messages of %d bytes acknowledged on a %s tmpfs" % (PAYLOAD, SIZE))


def write_errors(port):
    """The value of $SYS/broker/persist/write_errors (retained, published every second)."""
    c = Client(port, "df-sys")
    c.subscribe("$SYS/broker/persist/write_errors", 0)
    (m,) = c.receive(1, timeout=5)
    c.close()
    return int(m.payload)


def while_full(broker, port):
    """The broker serves QoS 0 and holds QoS 1 acknowledgements; returns the second held one."""
    expect(broker.alive(), "the broker died on a full disk; log:\n" + broker.log())
    a = Client(port, "df-q0-a")
    a.subscribe("q0/t", 0)
    b = Client(port, "df-q0-b", v5=False)
    b.publish("q0/t", "ping", 0)
    (m,) = a.receive(1)
    expect(m.payload == b"ping", "QoS 0 while full: %r" % m.payload)
    a.close()
    b.close()
    pub2 = Client(port, "df-pub2", v5=False)
    info = pub2.c.publish("df/q", "df-second", 1)
    info.wait_for_publish(1.0)
    expect(not info.is_published(), "a QoS 1 message for a persistent session was acknowledged "
           "while the disk is full")
    return pub2, info


def check_disk_full(tmp):
    mnt = os.path.join(os.path.dirname(tmp), "mnt")
    mount_tmpfs(mnt)
    broker = None
    try:
        with open(os.path.join(mnt, "filler"), "wb") as f:
            f.write(b"\0" * FILLER)
        data = os.path.join(mnt, "data")
        os.mkdir(data)
        broker = Broker(data, ["--sys-interval", "1"], threads=1)
        port = broker.start()
        sub = Client(port, "df-sub", expiry=EXPIRY)
        sub.subscribe("df/#", 1)
        sub.close()
        pub, acked, held, held_payload = fill(port)
        pub2, held2 = while_full(broker, port)
        os.remove(os.path.join(mnt, "filler"))
        freed_at = time.monotonic()
        held.wait_for_publish(10)
        held2.wait_for_publish(10)
        expect(held.is_published() and held2.is_published(),
               "held acknowledgements did not arrive within 10 s of freeing space; log:\n"
               + broker.log())
        print("held acknowledgements arrived %.2f s after freeing space"
              % (time.monotonic() - freed_at))
        sub = Client(port, "df-sub", expiry=EXPIRY, clean=False)
        expected = acked + [held_payload, "df-second"]
        sub.wait(lambda: len(sub.messages) >= len(expected), "%d messages" % len(expected), 10)
        got = sub.payloads()
        expect(sorted(got) == sorted(expected), "delivered after freeing space: %d messages, "
               "missing %r" % (len(got), [p[:6] for p in expected if p not in got]))
        for c in (sub, pub, pub2):
            c.close()
        errors = write_errors(port)
        print("$SYS/broker/persist/write_errors = %d" % errors)
        expect(errors > 0, "write_errors is 0 after the disk was full")
        code = broker.stop()
        expect(code == 0, "broker exit %r on SIGTERM" % code)
    finally:
        if broker:
            broker.close()
        unmount(mnt)
