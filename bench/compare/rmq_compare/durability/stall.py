"""Part 3: the longest stall of a steady QoS 1 flow to a persistent session while the broker
writes its state to disk: ringmq compacting its log (a small --compact-bytes with a large state
held by another, offline session) against the same ringmq with compaction out of reach, and
Mosquitto saving its whole database every few seconds (autosave_interval) against Mosquitto with
the default autosave (no save during the flow)."""

import os
import re
import signal
import statistics
import time

from . import flow as flow_mod
from . import wire
from .brokers import Broker, Variant, ringmq_variant

NO_COMPACTION = 1 << 40
# ringmq's line at the end of each compaction, with its duration.
COMPACTION_LINE = re.compile(r"log compaction: .*?([0-9.]+) ms")
STATE_TOPIC = "st/big"
FLOW_TOPIC = "st/flow"


def variants(options):
    """ringmq --durability `options.stall_durability` with a small and an unreachable
    --compact-bytes (one shard, so the flow's shard holds the big state), and Mosquitto with
    and without a frequent autosave."""
    one_shard = ["--threads", "1"]
    mode = options.stall_durability
    return [
        ringmq_variant(mode, one_shard + ["--compact-bytes", str(options.compact_bytes)]),
        _renamed(ringmq_variant(mode, one_shard + ["--compact-bytes", str(NO_COMPACTION)]),
                 f"ringmq-{mode}-nocompact"),
        Variant("mosquitto-autosave", "mosquitto",
                extra=[f"autosave_interval {options.autosave_s}"]),
        Variant("mosquitto", "mosquitto"),
    ]


def _renamed(variant, name):
    variant.name = name
    return variant


def _fill_state(port, count, sessions, payload):
    """`sessions` offline persistent sessions, each subscribed to its own STATE_TOPIC/<k>, and
    `count` QoS 1 messages spread evenly over them."""
    for k in range(sessions):
        sub = wire.Client(port, f"st-big-{k}", clean=False)
        sub.subscribe([(f"{STATE_TOPIC}/{k}", 1)])
        sub.close()
    first = (wire.PUBLISH << 4) | 0x02
    topics = [wire.utf8(f"{STATE_TOPIC}/{k}") for k in range(sessions)]
    padding = b"\0" * max(0, payload - 16)
    pub = wire.Client(port, "st-fill", clean=True)
    wire.publish_many(pub, count,
                      lambda i: (first, topics[i % sessions], wire.stamp(i) + padding))
    pub.close()


def _quiet(watch_dir, timeout_s=60.0, calm_s=0.5):
    """Waits until no shard has two segments for `calm_s` (a compaction the fill began is
    over); returns the seconds waited."""
    started = time.monotonic()
    calm_since = started
    while time.monotonic() - started < timeout_s:
        watcher = flow_mod.SegmentWatcher(watch_dir, started)
        watcher.sample(time.monotonic())
        if watcher.open_since is not None:
            calm_since = time.monotonic()
        elif time.monotonic() - calm_since >= calm_s:
            break
        time.sleep(0.01)
    return time.monotonic() - started


def _percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _in_windows(t, windows, slack_s):
    return any(start - slack_s <= t <= end + slack_s for start, end in windows)


def summarize_flow(result, slack_s=0.05):
    """Figures of one flow: maxima overall and, with compactions, inside their windows."""
    gaps = [g for _, g in result.gaps_ms]
    acks = [a for _, a in result.ack_ms]
    windows = result.compactions
    in_gap = [g for t, g in result.gaps_ms if _in_windows(t, windows, slack_s)]
    in_ack = [a for t, a in result.ack_ms if _in_windows(t, windows, slack_s)]
    return {
        "published": result.published, "acked": result.acked, "delivered": result.delivered,
        "max_gap_ms": max(gaps) if gaps else None,
        "p999_gap_ms": _percentile(gaps, 0.999),
        "max_ack_ms": max(acks) if acks else None,
        "p99_ack_ms": _percentile(acks, 0.99),
        "p50_ack_ms": _percentile(acks, 0.5),
        "compactions_seen": len(windows),
        "new_segments": result.segment_seqs_seen,
        "compacting_s": sum(end - start for start, end in windows),
        "longest_compaction_s": max((end - start for start, end in windows), default=0.0),
        "max_gap_in_compaction_ms": max(in_gap) if in_gap else None,
        "max_ack_in_compaction_ms": max(in_ack) if in_ack else None,
        "blocked_s": result.blocked_s,
        "compaction_windows_s": [[round(a, 3), round(b, 3)] for a, b in windows],
        # The five longest gaps and acks as [time s from the flow's start, ms].
        "top_gaps": [[round(t, 3), round(g, 1)] for t, g in
                     sorted(result.gaps_ms, key=lambda x: -x[1])[:5]],
        "top_acks": [[round(t, 3), round(a, 1)] for t, a in
                     sorted(result.ack_ms, key=lambda x: -x[1])[:5]],
    }


def one_run(options, variant, repeat, work_dir, log_path):
    record = {"broker": variant.name, "repeat": repeat, "ok": False, "error": "",
              "load_average_at_start": os.getloadavg()[0]}
    broker = Broker(variant, options, work_dir, log_path, options.ringmq_threads)
    broker.wipe()
    try:
        broker.start(timeout_s=30)
        record["broker_command"] = broker.argv
        _fill_state(broker.port, options.stall_state, options.state_sessions,
                    options.state_payload)
        record["settle_s"] = _quiet(broker.data_dir)
        record["data_bytes_before"] = broker.data_bytes()
        flow = flow_mod.Flow(broker.port, FLOW_TOPIC, options.stall_rate, options.stall_payload,
                             broker.data_dir)
        log_before = len(broker.log_since_start())
        result = flow.run(options.stall_seconds)
        record["data_bytes_after"] = broker.data_bytes()
        record["figures"] = summarize_flow(result)
        logged = [float(m.group(1)) for m in COMPACTION_LINE.finditer(
            broker.log_since_start()[log_before:])]
        record["figures"].update(compactions_logged=len(logged),
                                 longest_logged_compaction_ms=max(logged, default=None))
        record["ok"] = broker.alive()
        if not record["ok"]:
            record["error"] = f"broker exited with status {broker.process.returncode}"
    except (RuntimeError, OSError, wire.WireError) as error:
        record["error"] = f"{type(error).__name__}: {error}"
    finally:
        broker.stop(signal.SIGKILL)
    return record


def runnable(options):
    """variants() that can run here: ringmq's need --data-dir, Mosquitto's an installed one."""
    return [v for v in variants(options)
            if (v.kind == "ringmq" and options.persistence) or
            (v.kind == "mosquitto" and options.mosquitto)]


def run(options, work_dir, log_dir, progress):
    records = []
    for repeat in range(options.stall_repeat):
        for variant in runnable(options):
            progress(f"stall {variant.name} #{repeat + 1}")
            record = one_run(options, variant, repeat, work_dir,
                             os.path.join(log_dir, f"{variant.name}.log"))
            if record["error"]:
                progress(f"  FAILED: {record['error']}")
            else:
                f = record["figures"]
                progress(f"  max gap {f['max_gap_ms']:.1f} ms, max ack {f['max_ack_ms']:.1f} ms, "
                         f"compactions {f['compactions_seen']}")
            records.append(record)
    return records


STALL_KEYS = ("max_gap_ms", "p999_gap_ms", "max_ack_ms", "p99_ack_ms", "p50_ack_ms",
              "compactions_seen", "compacting_s", "longest_compaction_s",
              "max_gap_in_compaction_ms", "max_ack_in_compaction_ms", "compactions_logged",
              "longest_logged_compaction_ms")


def summarize(records, options):
    """{variant: {figure: median over the repeats}}."""
    result = {}
    for variant in runnable(options):
        good = [r["figures"] for r in records if r["broker"] == variant.name and r["ok"]]
        per = {"ok": len(good)}
        for key in STALL_KEYS:
            values = [f[key] for f in good if isinstance(f.get(key), (int, float))]
            per[key] = statistics.median(values) if values else None
        per["worst_max_gap_ms"] = max((f["max_gap_ms"] or 0 for f in good), default=None)
        per["worst_max_ack_ms"] = max((f["max_ack_ms"] or 0 for f in good), default=None)
        result[variant.name] = per
    return result
