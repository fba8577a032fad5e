"""Starting and stopping the brokers under test, one at a time, each on a free loopback port."""

import os
import resource
import shlex
import signal
import socket
import subprocess
import time
from dataclasses import dataclass

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0

MOSQUITTO_CONF = """\
# Written by bench/compare/run: equivalent to ringmq's benchmark settings.
listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 1000000
max_inflight_messages 0
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
"""
# Appended for TLS scenarios: a second listener with the run's certificate.
MOSQUITTO_TLS_LISTENER = """listener {tls_port} 127.0.0.1
cafile {cafile}
certfile {cert}
keyfile {key}
"""
RINGMQ_TLS_ARGS = ["--tls-listen", "127.0.0.1:{tls_port}", "--tls-cert", "{cert}", "--tls-key",
                   "{key}"]


# The trivial forwarder: the latency floor, run only in these scenario modes.
FORWARDER = "forwarder"
FORWARDER_MODES = ("latency",)


@dataclass
class BrokerSpec:
    """How to start one broker: `command` is a list of arguments with `{port}` placeholders.
    `modes`: the scenario modes it runs in (None: every scenario). `tls_args`: appended to the
    command for TLS scenarios, with `{tls_port}`, `{cert}`, `{key}` and `{cafile}` placeholders
    (None: the broker runs no TLS scenario)."""

    name: str
    command: list
    kind: str  # "ringmq", "mosquitto", "forwarder" or "other"
    modes: tuple = None
    tls_args: list = None

    def runs(self, scenario):
        if scenario.tls and self.tls_args is None:
            return False
        return self.modes is None or scenario.mode in self.modes

    @property
    def reference(self):
        """A floor reference, not a rival: no ratio to ringmq, its own column."""
        return self.kind == "forwarder"


def raise_open_file_limit():
    """Raises the soft RLIMIT_NOFILE to the hard one (run in children before exec)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ringmq_spec(ringmq, extra_args):
    """ringmq on `{port}` with `extra_args` (also what perf/ starts)."""
    return BrokerSpec("ringmq", [ringmq, "--listen", "127.0.0.1:{port}"] + list(extra_args),
                      "ringmq", tls_args=list(RINGMQ_TLS_ARGS))


def specs(options, conf_dir):
    """The brokers of this run: ringmq, Mosquitto (when installed), every --broker, then the
    trivial forwarder (unless --no-forwarder; fixed-rate scenarios only). A --broker runs the TLS
    scenarios when its command holds `{tls_port}`."""
    result = [ringmq_spec(options.ringmq, ["--threads", str(options.ringmq_threads),
                                           "--max-queued-messages", "0", "--send-queue-soft-limit",
                                           str(1 << 30), "--send-queue-hard-limit",
                                           str(1 << 31), "--log-level", "warn"])]
    conf = os.path.join(conf_dir, "mosquitto-{port}.conf")
    result.append(BrokerSpec("mosquitto", [options.mosquitto or "mosquitto", "-c", conf],
                             "mosquitto", tls_args=[]))
    for extra in options.extra_brokers:
        result.append(BrokerSpec(extra.name, shlex.split(extra.command), "other",
                                 tls_args=[] if "{tls_port}" in extra.command else None))
    if options.forwarder is not None:
        result.append(BrokerSpec(FORWARDER, [options.forwarder, "--listen", "127.0.0.1:{port}"],
                                 "forwarder", FORWARDER_MODES))
    return result


def _substitute(arg, values):
    for name, value in values.items():
        arg = arg.replace("{" + name + "}", str(value))
    return arg


class RunningBroker:
    """One started broker process; stop() always ends it. It runs in `cwd` (None: ours) with
    `env` (None: ours). With `tls` ({"ca", "cert", "key"} paths) it also listens with TLS on
    `tls_port`."""

    def __init__(self, spec, port, log_path, cwd, env=None, tls=None, tls_port=None):
        self.spec = spec
        self.port = port
        self.tls_port = tls_port
        self.log_path = log_path
        values = {"port": port}
        command = list(spec.command)
        if tls is not None:
            values.update(tls_port=tls_port, cert=tls["cert"], key=tls["key"], cafile=tls["ca"])
            command += spec.tls_args or []
        argv = [_substitute(arg, values) for arg in command]
        if spec.kind == "mosquitto":
            with open(argv[2], "w", encoding="utf-8") as conf:
                conf.write(MOSQUITTO_CONF.format(port=port))
                if tls is not None:
                    conf.write(MOSQUITTO_TLS_LISTENER.format(**values))
        self.argv = argv
        self.log = open(log_path, "ab")
        self.log.write(f"\n=== {time.strftime('%H:%M:%S')} {shlex.join(argv)}\n".encode())
        self.log.flush()
        try:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                            stderr=subprocess.STDOUT, cwd=cwd, env=env,
                                            preexec_fn=raise_open_file_limit)
        except OSError:
            self.log.close()
            raise

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process.poll() is None

    def wait_ready(self):
        """Waits until its ports accept connections; returns '' or why the broker is not up."""
        deadline = time.monotonic() + START_TIMEOUT_S
        waiting = [p for p in (self.port, self.tls_port) if p is not None]
        while time.monotonic() < deadline:
            if not self.alive():
                return f"exited with status {self.process.returncode} ({self._log_tail()})"
            try:
                with socket.create_connection(("127.0.0.1", waiting[0]), timeout=0.5):
                    waiting.pop(0)
                    if not waiting:
                        return ""
            except OSError:
                time.sleep(0.05)
        return f"not listening on port {waiting[0]} after {START_TIMEOUT_S:.0f} s"

    def stop(self, timeout=STOP_TIMEOUT_S):
        """Ends the broker (SIGTERM, then SIGKILL after `timeout` s); returns its exit status."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.log.closed:
            self.log.close()
        return self.process.returncode

    def _log_tail(self):
        self.log.flush()
        try:
            with open(self.log_path, "rb") as log:
                lines = log.read().decode(errors="replace").strip().splitlines()
            return lines[-1].strip() if lines and not lines[-1].startswith("===") else "no output"
        except OSError:
            return "no log"


def start(spec, log_path, cwd, env=None, tls=None):
    """Starts `spec` on a free port (and with `tls`, a TLS listener on a second one); returns
    (RunningBroker or None, error text)."""
    port = free_port()
    tls_port = None
    while tls is not None and tls_port in (None, port):
        tls_port = free_port()
    try:
        broker = RunningBroker(spec, port, log_path, cwd, env, tls, tls_port)
    except OSError as error:
        return None, f"cannot start {shlex.join(spec.command)}: {error.strerror or error}"
    problem = broker.wait_ready()
    if problem:
        broker.stop()
        return None, problem
    return broker, ""
