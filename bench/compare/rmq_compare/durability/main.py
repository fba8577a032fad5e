"""bench/compare/run-durability: runs the chosen parts and prints their tables."""

import os
import sys
import tempfile
import time

from . import brokers, options as flags, recovery, report, stall, throughput


def _progress(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _available(names, options):
    """The variants named (all five when `names` is empty) that can run here, saying why the
    others cannot."""
    chosen = [v for v in brokers.all_variants() if not names or v.name in names]
    for name in names:
        if name not in {v.name for v in brokers.all_variants()}:
            _progress(f"unknown broker {name!r} left out")
    kept = []
    for variant in chosen:
        if variant.kind == "mosquitto" and not options.mosquitto:
            _progress("mosquitto not found (apt-get install mosquitto): left out")
        elif variant.durability and not options.persistence:
            _progress(f"{variant.name}: this ringmq has no --data-dir yet: left out")
        else:
            kept.append(variant)
    return kept


def main(argv):
    options = flags.parse_or_exit(argv)
    os.makedirs(os.path.join(options.out, "logs"), exist_ok=True)
    log_dir = os.path.join(options.out, "logs")
    parts, tables = {}, []
    with tempfile.TemporaryDirectory(prefix="rmq-durability-") as work_dir:
        if "throughput" in options.parts:
            variants = _available([n for n in options.throughput_brokers.split(",") if n],
                                  options)
            runs = throughput.run(options, variants, work_dir, log_dir, _progress)
            summary = throughput.summarize(runs, variants)
            parts["throughput"] = {"runs": runs, "medians": summary}
            titles = {l.name: l.title for l in throughput.loads()}
            tables.append(f"QoS 1 to persistent sessions, median of {options.repeat}, "
                          f"{options.duration:g} s measured after {options.warmup:g} s warm-up:"
                          f"\n\n{report.throughput_table(summary, titles)}")
        if "recovery" in options.parts:
            variants = _available([n for n in options.recovery_brokers.split(",") if n],
                                  options)
            records = recovery.run(options, variants, work_dir, log_dir, _progress)
            parts["recovery"] = records
            tables.append("Recovery (one run each):\n\n" + report.recovery_table(records))
        if "stall" in options.parts:
            if not options.persistence:
                _progress("stall: this ringmq has no --data-dir yet: Mosquitto only")
            records = stall.run(options, work_dir, log_dir, _progress)
            summary = stall.summarize(records, options)
            parts["stall"] = {"runs": records, "medians": summary}
            tables.append(
                f"Stalls of a {options.stall_rate:g} msg/s QoS 1 flow ({options.stall_payload} "
                f"B) to a persistent session, {options.stall_seconds:g} s, with "
                f"{options.stall_state:,} messages of {options.state_payload} B queued for "
                f"{options.state_sessions} other offline session(s); median of "
                f"{options.stall_repeat}:\n\n" +
                report.stall_table(summary))
    json_path = os.path.join(options.out, "results.json")
    report.write_json(json_path, options, parts)
    for table in tables:
        print(table)
        print()
    print(f"results: {json_path}")
    return 0
