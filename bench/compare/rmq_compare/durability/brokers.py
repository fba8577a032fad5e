"""The brokers of the durability runs: Mosquitto with persistence, ringmq with a data directory
in each durability mode, and ringmq without one. Each start gets its own data directory (kept
across restarts of the same broker), the start is timed to the first accepted connection and the
first CONNACK, and the stop to the process's exit."""

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field

from .. import brokers as common
from . import wire

MOSQUITTO_CONF = """\
# Written by bench/compare/run-durability.
listener {port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {data_dir}/
max_queued_messages {max_queued}
max_inflight_messages 0
set_tcp_nodelay true
user root
log_dest stderr
log_type error
log_type warning
log_type notice
"""
RECOVERED = re.compile(r"recovered\b.*?\bin\s+([0-9.]+)\s*ms")
QUEUE_UNLIMITED = 10_000_000  # Mosquitto's max_queued_messages: far over any run's queue


@dataclass
class Variant:
    """One broker configuration. `durability`: ringmq's --durability with --data-dir, or None
    for ringmq without a data directory. `extra`: more ringmq flags, or more Mosquitto
    configuration lines."""

    name: str
    kind: str  # "ringmq" or "mosquitto"
    durability: str = None
    extra: list = field(default_factory=list)

    @property
    def persistent(self):
        return self.kind == "mosquitto" or self.durability is not None


MOSQUITTO = Variant("mosquitto", "mosquitto")
RINGMQ_MODES = ("sync", "batch", "none")


def ringmq_variant(durability, extra=()):
    name = f"ringmq-{durability}" if durability else "ringmq-memory"
    return Variant(name, "ringmq", durability, list(extra))


def all_variants():
    """Mosquitto, ringmq sync / batch / none, ringmq without a data directory."""
    return [MOSQUITTO] + [ringmq_variant(m) for m in RINGMQ_MODES] + [ringmq_variant(None)]


def command(variant, binaries, port, data_dir, threads):
    """The argv of `variant` on `port` with `data_dir` (Mosquitto: its configuration file,
    written there)."""
    if variant.kind == "mosquitto":
        conf = os.path.join(data_dir, "mosquitto.conf")
        with open(conf, "w", encoding="utf-8") as out:
            out.write(MOSQUITTO_CONF.format(port=port, data_dir=data_dir,
                                            max_queued=QUEUE_UNLIMITED))
            out.writelines(line + "\n" for line in variant.extra)
        return [binaries.mosquitto, "-c", conf]
    argv = [binaries.ringmq, "--listen", f"127.0.0.1:{port}", "--threads", str(threads),
            "--max-queued-messages", "0", "--max-queued-bytes", "0",
            "--send-queue-soft-limit", str(1 << 30), "--send-queue-hard-limit", str(1 << 31),
            "--log-level", "info"]
    if variant.durability:
        argv += ["--data-dir", data_dir, "--durability", variant.durability]
    return argv + list(variant.extra)


@dataclass
class StartTiming:
    accept_ms: float  # exec to the first accepted TCP connection
    connack_ms: float  # exec to the first CONNACK
    recovered_ms: float = None  # ringmq's own `recovered ... in T ms`
    recovered_line: str = ""


class Broker:
    """One broker configuration with its data directory; start() and stop() may alternate."""

    def __init__(self, variant, binaries, work_dir, log_path, threads=0):
        self.variant = variant
        self.binaries = binaries
        self.data_dir = os.path.join(work_dir, variant.name)
        os.makedirs(self.data_dir, exist_ok=True)
        self.log_path = log_path
        self.threads = threads
        self.port = common.free_port()
        self.process = None
        self.port_free_ms = None  # after the latest stop: ms until the port could be bound
        self.log_offset = 0
        self.argv = []

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def start(self, timeout_s=600.0, until_connack=True):
        """Starts the broker and waits for its first CONNACK (or, without `until_connack`, only
        for the first accepted TCP connection); returns StartTiming. Raises RuntimeError with
        the reason when it exits or does not answer within `timeout_s`."""
        self.argv = command(self.variant, self.binaries, self.port, self.data_dir, self.threads)
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== {time.strftime('%H:%M:%S')} {shlex.join(self.argv)}\n".encode())
            self.log_offset = log.tell()
        log = open(self.log_path, "ab")
        started = time.monotonic()
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                        stderr=subprocess.STDOUT,
                                        preexec_fn=common.raise_open_file_limit)
        log.close()
        accept_ms = None
        while time.monotonic() - started < timeout_s:
            if not self.alive():
                raise RuntimeError(f"{self.variant.name} exited with status "
                                   f"{self.process.returncode}: {self.log_tail()}")
            try:
                probe = socket.create_connection(("127.0.0.1", self.port), timeout=timeout_s)
            except OSError:
                time.sleep(0.001)
                continue
            accept_ms = accept_ms or (time.monotonic() - started) * 1000
            if not until_connack:
                probe.close()
                return StartTiming(accept_ms, None)
            try:
                probe.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                probe.sendall(wire.connect_packet(f"probe-{os.getpid()}", clean=True))
                reply = probe.recv(4)
                if reply[:1] == bytes([wire.CONNACK << 4]):
                    timing = StartTiming(accept_ms, (time.monotonic() - started) * 1000)
                    probe.sendall(bytes([wire.DISCONNECT << 4, 0]))
                    self._read_recovered(timing)
                    return timing
            except OSError:
                pass
            finally:
                probe.close()
            time.sleep(0.001)
        self.stop(signal.SIGKILL)
        raise RuntimeError(f"{self.variant.name} gave no CONNACK within {timeout_s:.0f} s")

    def _read_recovered(self, timing):
        """Waits briefly for ringmq's `recovered` line (logged before it serves clients)."""
        if self.variant.kind != "ringmq" or not self.variant.durability:
            return
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            for line in self.log_since_start().splitlines():
                match = RECOVERED.search(line)
                if match:
                    timing.recovered_ms = float(match.group(1))
                    timing.recovered_line = line.strip()
                    return
            time.sleep(0.02)

    def stop(self, sig=signal.SIGTERM, timeout_s=300.0):
        """Sends `sig` and waits for the exit; returns (exit status, ms from signal to exit)."""
        if not self.alive():
            return (self.process.returncode if self.process else None), 0.0
        started = time.monotonic()
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        stopped_ms = (time.monotonic() - started) * 1000
        self.port_free_ms = self._wait_port_free()
        return self.process.returncode, stopped_ms

    def _wait_port_free(self, timeout_s=10.0):
        """Waits until nothing listens on the port any more (a socket held by the kernel after
        the process is gone, e.g. by an io_uring instance torn down asynchronously, makes a
        restart fail with EADDRINUSE); returns the ms waited after the exit."""
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("127.0.0.1", self.port))
                    break
                except OSError:
                    time.sleep(0.001)
        return (time.monotonic() - started) * 1000

    def log_since_start(self):
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self.log_offset)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self):
        lines = self.log_since_start().strip().splitlines()
        return lines[-1].strip() if lines else "no output"

    def data_bytes(self):
        """Bytes of the broker's files in its data directory (not the configuration)."""
        total = 0
        for root, _, names in os.walk(self.data_dir):
            total += sum(os.path.getsize(os.path.join(root, n)) for n in names
                         if n != "mosquitto.conf")
        return total

    def wipe(self):
        """Removes the data directory's contents (the broker must be stopped)."""
        for name in os.listdir(self.data_dir):
            path = os.path.join(self.data_dir, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
