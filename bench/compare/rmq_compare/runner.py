"""The run loop: scenario-major, each broker in turn, repeated; one broker process per run."""

import json
import os
import subprocess
import sys
import time

from . import brokers

LOADGEN_GRACE_S = 60.0


def _loadgen_argv(options, scenario, port, broker_pid, tls=None):
    hold = options.duration
    args = [arg.replace("{cafile}", tls["ca"]) if tls else arg for arg in scenario.args]
    return ([options.loadgen] + args +
            ["--port", str(port), "--duration", f"{hold:g}", "--warmup",
             f"{0 if scenario.mode == 'conn' else options.warmup:g}", "--threads",
             str(options.loadgen_threads), "--broker-pid", str(broker_pid), "--json", "-"])


def _figures(report):
    """The figures the table and chart use, from one ringmq-bench JSON report."""
    broker = report.get("broker") or {}
    latency = report.get("latency_us") or {}
    delivery = report.get("delivery") or {}
    connect = report.get("connect") or {}
    reconnect = report.get("reconnect") or {}
    return {
        "handshakes_per_s": reconnect.get("rate_per_s"),
        "resumed_fraction": reconnect.get("resumed_fraction"),
        "connect_p50_us": (reconnect.get("latency_us") or {}).get("p50"),
        "connect_p99_us": (reconnect.get("latency_us") or {}).get("p99"),
        "deliveries_per_s": delivery.get("rate"),
        "publishes_per_s": (report.get("publish") or {}).get("rate"),
        "p50_us": latency.get("p50"),
        "p99_us": latency.get("p99"),
        "p999_us": latency.get("p999"),
        "connect_time_s": connect.get("time_s"),
        "connect_rate_per_s": connect.get("rate_per_s"),
        "rss_per_connection_b": broker.get("rss_per_connection_bytes"),
        "broker_cpu_percent": (broker.get("cpu_percent") if report["config"]["scenario"] != "conn"
                               else connect.get("broker_cpu_percent")),
        "loadgen_cpu_percent": ((report.get("loadgen") or {}).get("cpu_percent")
                                if report["config"]["scenario"] != "conn"
                                else connect.get("loadgen_cpu_percent")),
        "broker_rss_peak_kb": broker.get("rss_peak_kb"),
        "lost": delivery.get("lost"),
        "duplicated": delivery.get("duplicated"),
        "out_of_order": delivery.get("out_of_order"),
        "qos_unacked": (report.get("publish") or {}).get("unacked"),
        "connect_failed": connect.get("failed"),
    }


def _run_loadgen(options, scenario, broker, tls=None):
    """Runs ringmq-bench once against `broker` (its TLS listener for a TLS scenario); returns
    (report dict or None, error text)."""
    port = broker.tls_port if scenario.tls else broker.port
    argv = _loadgen_argv(options, scenario, port, broker.pid, tls)
    timeout = options.duration + options.warmup + LOADGEN_GRACE_S + scenario.connections / 1000
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, preexec_fn=brokers.raise_open_file_limit)
    except subprocess.TimeoutExpired:
        return None, f"ringmq-bench did not finish within {timeout:.0f} s"
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"ringmq-bench exited with status {done.returncode}: {last}"
    if done.returncode != 0:
        error = (report.get("result") or {}).get("error") or f"exit status {done.returncode}"
        return report, f"ringmq-bench: {error}"
    return report, ""


def _one_run(options, scenario, spec, repeat, dirs):
    """Starts `spec`, runs `scenario` against it, stops it; returns the run record."""
    record = {"scenario": scenario.name, "broker": spec.name, "repeat": repeat, "ok": False,
              "error": "", "figures": None, "report": None}
    log_path = os.path.join(dirs["logs"], f"{spec.name}.log")
    tls = dirs.get("tls") if scenario.tls else None
    if scenario.tls and tls is None:
        record["error"] = "no TLS files (see the openssl error above)"
        return record
    broker_tls = tls
    if broker_tls is None and any("{tls_port}" in arg for arg in spec.command):
        # A --broker command that names a TLS listener gets one in plain runs too (unused).
        broker_tls = dirs.get("tls")
    broker, error = brokers.start(spec, log_path, dirs["conf"], tls=broker_tls)
    if broker is None:
        record["error"] = f"broker did not start: {error}"
        record["start_failed"] = True
        return record
    record["command"] = broker.argv
    report, error = _run_loadgen(options, scenario, broker, tls)
    died = not broker.alive()
    status = broker.stop()
    if died and not error:
        error = f"broker exited during the run with status {status}"
    record["report"] = report
    record["error"] = error
    record["ok"] = not error and report is not None
    if report is not None and "config" in report:
        record["figures"] = _figures(report)
    return record


def _progress(text):
    print(text, file=sys.stderr, flush=True)


def unavailable_key(spec, scenario):
    """A broker that cannot start with TLS may still start without: they are counted apart."""
    return f"{spec.name}+tls" if scenario.tls else spec.name


def run_matrix(options, scenarios, specs, dirs):
    """Runs every scenario against every broker, `options.repeat` times, scenario-major and
    interleaved (for each scenario, for each repeat, each broker in turn); a broker with
    `modes` (the forwarder) runs only those scenarios, one without TLS arguments no TLS
    scenario. A broker that fails to start is reported and left out of the remaining runs (of
    the same kind, plain or TLS); the others go on."""
    runs = []
    unavailable = {}
    total = options.repeat * sum(spec.runs(s) for s in scenarios for spec in specs)
    started = time.monotonic()
    for scenario in scenarios:
        for repeat in range(options.repeat):
            for spec in specs:
                key = unavailable_key(spec, scenario)
                if key in unavailable or not spec.runs(scenario):
                    continue
                label = f"[{len(runs) + 1}/{total}] {scenario.name} {spec.name} #{repeat + 1}"
                _progress(f"{label} ...")
                record = _one_run(options, scenario, spec, repeat, dirs)
                runs.append(record)
                if record.get("start_failed"):
                    unavailable[key] = record["error"]
                    _progress(f"{label}: {key} {record['error']}; "
                              f"skipping {key} from here on")
                elif record["error"]:
                    _progress(f"{label}: FAILED: {record['error']}")
    _progress(f"matrix done in {time.monotonic() - started:.0f} s")
    return runs, unavailable
