"""Part 1: QoS 1 throughput to persistent sessions. ringmq-bench drives each broker variant in
turn (scenario-major, interleaved, a fresh broker and an empty data directory per run); the
figures are acknowledged publishes/s and deliveries/s over the measured interval."""

import json
import os
import statistics
import subprocess
from dataclasses import dataclass

from .. import brokers as common
from .brokers import Broker

DRAIN_S = 5


@dataclass
class Load:
    name: str
    title: str
    args: list


def loads():
    """Persistent sessions (3.1.1 Clean Session 0), QoS 1 publishes and subscriptions, 16 B."""
    common_args = ["--qos", "1", "--payload", "16", "--persistent", "--window", "1000"]
    return [
        Load("pairs-qos1", "50 publishers -> 50 persistent subscribers (pairs), QoS 1, 16 B",
             ["pairs", "--pairs", "50"] + common_args),
        Load("fanin-qos1", "20 publishers -> 5 persistent subscribers on bench/#, QoS 1, 16 B",
             ["fanin", "--publishers", "20", "--subscribers", "5"] + common_args),
    ]


def figures(report):
    publish = report.get("publish") or {}
    delivery = report.get("delivery") or {}
    latency = report.get("latency_us") or {}
    broker = report.get("broker") or {}
    return {
        "acked_per_s": publish.get("acked_rate"),
        "publishes_per_s": publish.get("rate"),
        "deliveries_per_s": delivery.get("rate"),
        "p50_us": latency.get("p50"),
        "p99_us": latency.get("p99"),
        "max_us": latency.get("max"),
        "broker_cpu_percent": broker.get("cpu_percent"),
        "loadgen_cpu_percent": (report.get("loadgen") or {}).get("cpu_percent"),
        "lost": delivery.get("lost"),
        "duplicated": delivery.get("duplicated"),
        "unacked": publish.get("unacked"),
    }


def _run_loadgen(options, load, broker):
    argv = ([options.loadgen] + load.args +
            ["--port", str(broker.port), "--duration", f"{options.duration:g}", "--warmup",
             f"{options.warmup:g}", "--drain", str(DRAIN_S), "--broker-pid", str(broker.pid),
             "--json", "-"])
    timeout = options.duration + options.warmup + DRAIN_S + 60
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, preexec_fn=common.raise_open_file_limit)
    except subprocess.TimeoutExpired:
        return None, f"ringmq-bench did not finish within {timeout:.0f} s", argv
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"ringmq-bench exited with status {done.returncode}: {last}", argv
    error = "" if done.returncode == 0 else ((report.get("result") or {}).get("error")
                                             or f"exit status {done.returncode}")
    return report, error, argv


def one_run(options, load, variant, repeat, work_dir, log_path, progress):
    record = {"load": load.name, "broker": variant.name, "repeat": repeat, "ok": False,
              "error": "", "figures": None, "load_average_at_start": os.getloadavg()[0]}
    broker = Broker(variant, options, work_dir, log_path, options.ringmq_threads)
    broker.wipe()
    try:
        broker.start(timeout_s=30)
    except RuntimeError as error:
        record["error"] = f"broker did not start: {error}"
        return record
    record["broker_command"] = broker.argv
    report, error, argv = _run_loadgen(options, load, broker)
    record["loadgen_command"] = argv
    died = not broker.alive()
    status, _ = broker.stop()
    record["data_bytes_after"] = broker.data_bytes()
    if died and not error:
        error = f"broker exited during the run with status {status}"
    record["error"] = error
    record["ok"] = not error and report is not None
    record["figures"] = figures(report) if report else None
    if error:
        progress(f"  FAILED: {error}")
    return record


def run(options, variants, work_dir, log_dir, progress):
    """Every load x repeat x variant, interleaved; returns the run records."""
    runs = []
    for load in loads():
        for repeat in range(options.repeat):
            for variant in variants:
                progress(f"throughput {load.name} {variant.name} #{repeat + 1}")
                runs.append(one_run(options, load, variant, repeat, work_dir,
                                    f"{log_dir}/{variant.name}.log", progress))
    return runs


MEDIAN = ("acked_per_s", "publishes_per_s", "deliveries_per_s", "p50_us", "p99_us", "max_us",
          "broker_cpu_percent", "loadgen_cpu_percent")
WORST = ("lost", "duplicated", "unacked")


def summarize(runs, variants):
    """{load: {variant: {figure: median (or worst for correctness), ok: n, runs: n}}}."""
    result = {}
    for load in loads():
        per = {}
        for variant in variants:
            mine = [r for r in runs if r["load"] == load.name and r["broker"] == variant.name]
            good = [r["figures"] for r in mine if r["ok"]]
            summary = {"runs": len(mine), "ok": len(good),
                       "errors": sorted({r["error"] for r in mine if r["error"]})}
            for key in MEDIAN:
                values = [f[key] for f in good if isinstance(f.get(key), (int, float))]
                summary[key] = statistics.median(values) if values else None
            for key in WORST:
                values = [f[key] for f in good if isinstance(f.get(key), (int, float))]
                summary[key] = max(values) if values else None
            per[variant.name] = summary
        result[load.name] = per
    return result
