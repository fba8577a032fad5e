"""Shared plumbing of perf/record, perf/stat and perf/allocs: command line, starting (or attaching
to) ringmq, running one ringmq-bench scenario, reading its --json report, checking that perf works.

Command line of every script:
  perf/<script> [options] SCENARIO [ringmq-bench arguments...]
Options (before SCENARIO):
  --pid PID             profile an already running broker instead of starting one; give the
                        broker's port to ringmq-bench yourself (--port P after SCENARIO)
  --ringmq PATH         broker binary (default: build/release/broker/ringmq, or $RINGMQ)
  --bench PATH          load generator (default: build/release/bench/loadgen/ringmq-bench,
                        or $RINGMQ_BENCH)
  --broker-args "..."   extra flags for a started broker (default: --max-queued-messages 0
                        --send-queue-soft-limit 1073741824 --send-queue-hard-limit 2147483648)
  --out DIR             where outputs go (default: perf-out/<script>-<scenario>-<time>)
"""

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench", "compare"))
from rmq_compare import brokers  # noqa: E402

EXIT_NO_PERF = 3
EXIT_USAGE = 2
# A broker under perf or the jemalloc probe may take longer to exit than bench/compare allows.
STOP_TIMEOUT_S = 15


def parse_args(script, description, extra=None):
    parser = argparse.ArgumentParser(
        prog=f"perf/{script}",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Arguments after SCENARIO go to ringmq-bench unchanged (see bench/loadgen/README.md).",
    )
    parser.add_argument("--pid", type=int, help="attach to this running broker")
    parser.add_argument("--ringmq", default=os.environ.get("RINGMQ"))
    parser.add_argument("--bench", default=os.environ.get("RINGMQ_BENCH"))
    parser.add_argument("--broker-args",
                        default="--max-queued-messages 0 --send-queue-soft-limit 1073741824 "
                        "--send-queue-hard-limit 2147483648")
    parser.add_argument("--out")
    if extra:
        extra(parser)
    parser.add_argument("scenario", help="ringmq-bench scenario: conn, fanin, fanout, pairs, ...")
    parser.add_argument("bench_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    args.ringmq = args.ringmq or _default_binary("broker/ringmq")
    args.bench = args.bench or _default_binary("bench/loadgen/ringmq-bench")
    if args.out is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        args.out = os.path.join("perf-out", f"{script}-{args.scenario}-{stamp}")
    os.makedirs(args.out, exist_ok=True)
    for path, what in ((args.bench, "ringmq-bench"), (None if args.pid else args.ringmq, "ringmq")):
        if path is not None and not os.access(path, os.X_OK):
            die(f"{what} not found at {path}: build it (cmake --preset release && "
                f"cmake --build build/release) or pass --{'bench' if what != 'ringmq' else 'ringmq'}",
                EXIT_USAGE)
    return args


def _default_binary(rel):
    for build in ("build/release", "build"):
        path = os.path.join(ROOT, build, rel)
        if os.access(path, os.X_OK):
            return path
    return os.path.join(ROOT, "build/release", rel)


def die(message, code=1):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


def perf_status(events):
    """None when `perf stat -e <events> true` works here, else why not (to print before exit 3)."""
    try:
        r = subprocess.run(["perf", "stat", "-x,", "-e", events, "true"],
                           capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        return "perf is not installed (Debian: apt-get install linux-perf)"
    except subprocess.TimeoutExpired:
        return "perf stat true did not finish in 30 s"
    if r.returncode != 0:
        paranoid = _read("/proc/sys/kernel/perf_event_paranoid").strip()
        return (f"perf cannot count here (perf_event_paranoid={paranoid}; run as root or "
                f"sysctl kernel.perf_event_paranoid=-1; in a container it also needs "
                f"CAP_PERFMON or --privileged): {' '.join(r.stderr.strip().splitlines()[-1:])}")
    return None


def require_perf(events):
    why = perf_status(events)
    if why is not None:
        print(f"perf is not usable in this environment: {why}", file=sys.stderr)
        sys.exit(EXIT_NO_PERF)


def unsupported_events(events):
    """The events of the comma-separated list that `perf stat` reports as <not supported>."""
    r = subprocess.run(["perf", "stat", "-x,", "-e", events, "true"],
                       capture_output=True, text=True, timeout=30)
    bad = []
    for line in r.stderr.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[0].startswith("<not"):
            bad.append(fields[2])
    return bad


def _read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


class Broker:
    """A ringmq started for one run (or an attached pid); stop() ends only what start() began.
    Starting, waiting for the port and stopping are bench/compare's (rmq_compare.brokers)."""

    def __init__(self, args, env_extra=None):
        self.pid = args.pid
        self.port = None
        self._running = None
        if self.pid is not None:
            if not os.path.exists(f"/proc/{self.pid}"):
                die(f"no process {self.pid}", EXIT_USAGE)
            return
        spec = brokers.ringmq_spec(args.ringmq, shlex.split(args.broker_args))
        log_path = os.path.join(args.out, "ringmq.log")
        print(f"starting: {shlex.join(spec.command)}", file=sys.stderr)
        env = dict(os.environ, **(env_extra or {}))
        self._running, error = brokers.start(spec, log_path, None, env)
        if self._running is None:
            die(f"ringmq did not start: {error}; see {log_path}")
        self.pid = self._running.pid
        self.port = self._running.port

    def stop(self):
        if self._running is not None:
            self._running.stop(timeout=STOP_TIMEOUT_S)


def run_bench(args, broker):
    """Runs the scenario against `broker`; returns the parsed --json report."""
    json_path = os.path.join(args.out, "bench.json")
    cmd = [args.bench, args.scenario] + list(args.bench_args)
    if broker.port is not None and "--port" not in args.bench_args:
        cmd += ["--port", str(broker.port)]
    if "--broker-pid" not in args.bench_args:
        cmd += ["--broker-pid", str(broker.pid)]
    cmd += ["--json", json_path]
    print(f"running: {' '.join(shlex.quote(c) for c in cmd)}", file=sys.stderr)
    r = subprocess.run(cmd)
    report = json.loads(_read(json_path) or "null")
    if report is None:
        die(f"ringmq-bench exited with {r.returncode} and wrote no report")
    if r.returncode != 0:
        print(f"warning: ringmq-bench exited with {r.returncode}: "
              f"{report.get('result', {}).get('error', '')}", file=sys.stderr)
    return report


def message_counts(report):
    """(deliveries, publishes) over the whole run, the span the profile covers."""
    delivery = report.get("delivery", {}) or {}
    publish = report.get("publish", {}) or {}
    return int(delivery.get("received", 0) or 0), int(publish.get("total", 0) or 0)


def start_attached(cmd, out_path):
    """Starts a perf process that attaches to the broker; stop it with stop_attached."""
    log = open(out_path, "w", encoding="utf-8")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    time.sleep(0.5)  # perf needs a moment to attach before the load starts
    if proc.poll() is not None:
        log.close()
        die(f"{cmd[0]} {cmd[1]} exited at once with {proc.returncode}; see {out_path}")
    return proc, log


def stop_attached(proc, log):
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()
