"""Shared pieces of the persistence checks: the ringmq process on a data directory, a
python3-paho-mqtt client (1.6 API) and readers of the write-ahead-log segment files.

Every broker started here dies with this process (PR_SET_PDEATHSIG), so a check killed by its
time limit leaves nothing running.
"""
import ctypes
import os
import re
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

BINARY = None  # set by persist_checks.py
BROKERS = []  # every Broker made, for the logs of a failed check
TIMEOUT = 5.0
# Seconds to wait after each start before a check connects (default none: clients come back at
# once). For diagnosis only, to look past a failure that only connections arriving in the first
# moments after a start see.
START_PAUSE = float(os.environ.get("RINGMQ_PERSIST_START_PAUSE", "0"))
LISTENING = re.compile(r"ringmq listening on 127\.0\.0\.1:(\d+)")


class CheckFailed(AssertionError):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def _die_with_parent():
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def wait_until(predicate, timeout, step=0.01):
    """Polls `predicate` until it is true (returns True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), 1.0).close()
        return True
    except OSError:
        return False


class Broker:
    """ringmq on 127.0.0.1 (port chosen by the broker) with `--data-dir data_dir`.

    start() may be called again after a stop: each run has its own log file; logs() returns every
    run's log so a failure shows the whole history.
    """

    def __init__(self, data_dir, args=(), threads=2, durability="sync"):
        self.data_dir = data_dir
        self.argv = [BINARY, "--listen", "127.0.0.1:0", "--threads", str(threads),
                     "--data-dir", data_dir, "--durability", durability] + list(args)
        self.proc = None
        self.port = None
        self.runs = []  # log file paths, oldest first
        BROKERS.append(self)

    def spawn(self, extra=()):
        fd, path = tempfile.mkstemp(prefix="ringmq-persist-log-")
        self.runs.append(path)
        self.proc = subprocess.Popen(self.argv + list(extra), stdin=subprocess.DEVNULL,
                                     stdout=fd, stderr=subprocess.STDOUT,
                                     preexec_fn=_die_with_parent)
        os.close(fd)

    def start(self, extra=(), timeout=10.0):
        """Starts the broker and waits until it accepts connections; returns the port."""
        self.spawn(extra)
        found = []

        def listening():
            m = LISTENING.search(self.log())
            if m and accepts(int(m.group(1))):
                found.append(int(m.group(1)))
            return bool(found) or self.proc.poll() is not None

        wait_until(listening, timeout)
        if not found:
            code = self.stop(signal.SIGKILL)
            raise CheckFailed("ringmq did not start (exit %s); log:\n%s" % (code, self.log()))
        self.port = found[0]
        time.sleep(START_PAUSE)
        return self.port

    def run_to_exit(self, extra=(), timeout=10.0):
        """Runs the broker expecting it to exit by itself; returns (exit code, output).

        A broker still running after `timeout` is killed and reported as exit code None.
        """
        self.spawn(extra)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop(signal.SIGKILL)
            code = None
        self.proc = None
        return code, self.log()

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Sends `sig` and waits; returns the exit code (negative signal number if killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = "timeout"
        self.proc = None
        return code

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self, run=-1):
        with open(self.runs[run], errors="replace") as f:
            return f.read()

    def logs(self):
        return "\n".join("--- run %d\n%s" % (i, self.log(i)) for i in range(len(self.runs)))

    def wait_for_log(self, needle, timeout=TIMEOUT):
        return wait_until(lambda: needle in self.log(), timeout)

    def close(self):
        """Kills the broker if it still runs; the logs stay until remove_logs()."""
        self.stop(signal.SIGKILL)

    def remove_logs(self):
        for path in self.runs:
            os.remove(path)
        self.runs = []


def props(packet_type, **values):
    p = Properties(packet_type)
    for name, value in values.items():
        setattr(p, name, value)
    return p


def expiry_props(seconds):
    return props(PacketTypes.CONNECT, SessionExpiryInterval=seconds)


class Client:
    """A paho client with a background loop and a list of received messages.

    Persistent sessions: MQTT 5 clients pass `expiry` (Session Expiry Interval), 3.1.1 clients
    clean=False. reconnect() connects the same paho object again (keeping paho's own QoS 2 state)
    to a broker on `port`, without clean start.
    """

    def __init__(self, port, client_id, v5=True, clean=True, expiry=None, will=None,
                 on_log=None, connect=True):
        self.v5 = v5
        self.expiry = expiry
        protocol = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
        kwargs = {} if v5 else {"clean_session": clean}
        self.c = mqtt.Client(client_id, protocol=protocol, reconnect_on_failure=False, **kwargs)
        self.messages = []
        self.cond = threading.Condition()
        self.connack = None
        self.lost = False
        self.acks = {}
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.on_disconnect = self._on_disconnect
        self.c.on_subscribe = self._on_subscribe
        if on_log:
            self.c.on_log = on_log
        if will:
            self.c.will_set(**will)
        if connect:
            self._connect(port, clean)

    def _connect(self, port, clean):
        with self.cond:
            self.connack = None
            self.lost = False
        if self.v5:
            p = expiry_props(self.expiry) if self.expiry is not None else None
            self.c.connect("127.0.0.1", port, 60, clean_start=clean, properties=p)
        else:
            self.c.connect("127.0.0.1", port, 60)
        self.c.loop_start()
        self.wait(lambda: self.connack is not None, "CONNACK")
        expect(self.rc() == 0, "CONNACK refused: %r" % (self.connack,))

    def reconnect(self, port):
        self.c.loop_stop()
        self._connect(port, False)

    def _on_connect(self, client, userdata, flags, rc, properties=None):
        with self.cond:
            self.connack = (flags, rc, properties)
            self.cond.notify_all()

    def _on_message(self, client, userdata, message):
        with self.cond:
            self.messages.append(message)
            self.cond.notify_all()

    def _on_disconnect(self, client, userdata, rc, properties=None):
        with self.cond:
            self.lost = True
            self.cond.notify_all()

    def _on_subscribe(self, client, userdata, mid, granted, properties=None):
        with self.cond:
            self.acks[mid] = granted
            self.cond.notify_all()

    def wait(self, predicate, what, timeout=TIMEOUT):
        with self.cond:
            if not self.cond.wait_for(predicate, timeout):
                raise CheckFailed("%s: timed out waiting for %s" % (self.c._client_id, what))

    def rc(self):
        rc = self.connack[1]
        return rc.value if hasattr(rc, "value") else rc

    def session_present(self):
        return bool(self.connack[0].get("session present"))

    def subscribe(self, topic, qos, sub_id=None):
        if self.v5:
            p = props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=sub_id) if sub_id else None
            _, mid = self.c.subscribe(topic, options=mqtt.SubscribeOptions(qos=qos), properties=p)
        else:
            _, mid = self.c.subscribe(topic, qos)
        self.wait(lambda: mid in self.acks, "SUBACK")
        return self.acks[mid]

    def publish(self, topic, payload, qos=0, retain=False, props=None, timeout=TIMEOUT):
        """Publishes and waits for the PUBACK/PUBCOMP; returns whether it came."""
        info = self.c.publish(topic, payload, qos, retain, properties=props)
        info.wait_for_publish(timeout)
        return info.is_published()

    def payloads(self):
        with self.cond:
            return [m.payload.decode() for m in self.messages]

    def take(self):
        """The payloads received so far, removed from the list."""
        with self.cond:
            out = [m.payload.decode() for m in self.messages]
            self.messages = []
        return out

    def receive(self, count, timeout=TIMEOUT):
        self.wait(lambda: len(self.messages) >= count, "%d messages (have %d: %s)"
                  % (count, len(self.messages), [m.payload for m in self.messages]), timeout)
        with self.cond:
            out, self.messages = self.messages[:count], self.messages[count:]
        return out

    def quiet(self, wait=0.5):
        time.sleep(wait)
        with self.cond:
            return not self.messages

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()

    def abandon(self):
        """Closes the socket without DISCONNECT (a will is published) and stops the loop."""
        sock = self.c.socket()
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        self.c.loop_stop()


# Write-ahead-log segments: `shard-<N>-<SEQ:020>.log`, a 32-byte header, then records of
# [u32 length][u32 masked crc32c][u8 type][payload], little-endian.
SEGMENT = re.compile(r"^shard-(\d+)-(\d{20})\.log$")
HEADER_SIZE = 32
RECORD_HEADER_SIZE = 9


def segments(data_dir, shard=None):
    """The log segments in `data_dir` as (shard, seq, path), ordered by shard then seq."""
    out = []
    for name in os.listdir(data_dir):
        m = SEGMENT.match(name)
        if m and (shard is None or int(m.group(1)) == shard):
            out.append((int(m.group(1)), int(m.group(2)), os.path.join(data_dir, name)))
    return sorted(out)


def records(path):
    """(offset, framed size, type) of each complete record of a segment, in file order."""
    with open(path, "rb") as f:
        data = f.read()
    out = []
    at = HEADER_SIZE
    while at + RECORD_HEADER_SIZE <= len(data):
        (length,) = struct.unpack_from("<I", data, at)
        size = RECORD_HEADER_SIZE + length
        if at + size > len(data) or data[at + 8] == 0:
            break
        out.append((at, size, data[at + 8]))
        at += size
    return out
