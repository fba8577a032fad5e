"""Flags of bench/compare/run-durability. Bad flags print one line and exit with status 2."""

import os
import subprocess
import sys
import time

from .. import options as common

PARTS = ("throughput", "recovery", "stall")
QUICK = {"repeat": 1, "duration": 1.0, "warmup": 0.5, "queued": 20000, "retained": 5000,
         "stall_state": 20000, "compact_bytes": 1 << 20, "stall_seconds": 2.0, "stall_repeat": 1}
DEFAULTS = {"repeat": 3, "duration": 3.0, "warmup": 1.0, "queued": 1_000_000,
            "retained": 100_000, "stall_state": 200_000, "compact_bytes": 8 << 20,
            "stall_seconds": 6.0, "stall_repeat": 3}


def _parser():
    p = common._OneLineParser(prog="bench/compare/run-durability",
                              description="QoS 1 throughput to persistent sessions, recovery "
                              "time and compaction stalls: Mosquitto with persistence against "
                              "ringmq in each --durability mode and without --data-dir.")
    p.add_argument("--parts", default=",".join(PARTS),
                   help="comma-separated: throughput, recovery, stall (default all)")
    p.add_argument("--quick", action="store_true", help="small counts and short runs (smoke)")
    p.add_argument("--repeat", type=int, help="throughput runs per load and broker (median)")
    p.add_argument("--duration", type=float, help="throughput: measured seconds per run")
    p.add_argument("--warmup", type=float, help="throughput: warm-up seconds per run")
    p.add_argument("--queued", type=int, help="recovery: QoS 1 messages queued for one offline "
                   "persistent session")
    p.add_argument("--retained", type=int, help="recovery: retained messages stored")
    p.add_argument("--recovery-brokers", default="mosquitto,ringmq-sync",
                   help="recovery: which brokers (names as in the throughput table)")
    p.add_argument("--throughput-brokers", default="",
                   help="throughput: which brokers (default all five)")
    p.add_argument("--stall-state", type=int, help="stall: messages queued for the offline "
                   "session whose state makes the snapshot big")
    p.add_argument("--state-sessions", type=int, default=1,
                   help="stall: offline sessions holding those messages, spread evenly "
                   "(default 1)")
    p.add_argument("--state-payload", type=int, default=100,
                   help="stall: payload bytes of those messages (default 100)")
    p.add_argument("--compact-bytes", type=int, help="stall: ringmq --compact-bytes")
    p.add_argument("--stall-rate", type=float, default=5000, help="stall: flow msg/s")
    p.add_argument("--stall-payload", type=int, default=1024, help="stall: flow payload bytes")
    p.add_argument("--stall-seconds", type=float, help="stall: flow seconds per run")
    p.add_argument("--stall-repeat", type=int, help="stall: runs per broker (median)")
    p.add_argument("--stall-durability", choices=["sync", "batch", "none"], default="sync",
                   help="stall: ringmq --durability (default sync)")
    p.add_argument("--autosave-s", type=int, default=2,
                   help="stall: Mosquitto autosave_interval of the saving variant (default 2)")
    p.add_argument("--start-timeout", type=float, default=600.0,
                   help="recovery: seconds a restart may take")
    p.add_argument("--idle-s", type=float, default=5.0,
                   help="recovery: counting stops after this long without a message")
    p.add_argument("--ringmq-threads", type=int, default=0, help="ringmq --threads (default 0)")
    p.add_argument("--ringmq", help="ringmq binary (default: newest build)")
    p.add_argument("--loadgen", help="ringmq-bench binary (default: newest build)")
    p.add_argument("--mosquitto", help="mosquitto binary (default: PATH, /usr/sbin/mosquitto)")
    p.add_argument("--out", help="output directory (default bench/compare/out/durability-<date>)")
    return p


def ringmq_has_persistence(ringmq):
    """True when `ringmq --help` lists --data-dir."""
    try:
        done = subprocess.run([ringmq, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return "--data-dir" in done.stdout + done.stderr


def parse(argv):
    """Parses argv (without the program name); raises common.FlagError on a bad flag."""
    args = _parser().parse_args(argv)
    base = QUICK if args.quick else DEFAULTS
    for key, value in base.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.parts = [p for p in args.parts.split(",") if p]
    for part in args.parts:
        if part not in PARTS:
            raise common.FlagError(f"--parts: unknown part {part!r} (throughput, recovery, "
                                   "stall)")
    for key in ("repeat", "queued", "retained", "stall_state", "stall_repeat", "compact_bytes",
                "state_sessions"):
        if getattr(args, key) < 1:
            raise common.FlagError(f"--{key.replace('_', '-')} must be at least 1")
    if args.duration <= 0 or args.stall_seconds <= 0 or args.stall_rate <= 0:
        raise common.FlagError("--duration, --stall-seconds and --stall-rate must be positive")
    if args.stall_payload < 16 or args.state_payload < 16:
        raise common.FlagError("payloads hold a 16-byte stamp: at least 16 bytes")
    args.ringmq = args.ringmq or common._newest("build*/**/broker/ringmq")
    args.loadgen = args.loadgen or common._newest("build*/**/bench/loadgen/ringmq-bench")
    for flag, path in (("--ringmq", args.ringmq), ("--loadgen", args.loadgen)):
        if not path or not os.access(path, os.X_OK):
            raise common.FlagError(f"{flag}: no executable found ({path or 'nothing built'})")
    args.ringmq, args.loadgen = os.path.abspath(args.ringmq), os.path.abspath(args.loadgen)
    args.mosquitto = common._find_mosquitto(args.mosquitto)
    args.out = os.path.abspath(args.out or os.path.join(
        common.REPO_ROOT, "bench", "compare", "out",
        "durability-" + time.strftime("%Y%m%d-%H%M%S")))
    args.persistence = ringmq_has_persistence(args.ringmq)
    return args


def parse_or_exit(argv):
    try:
        return parse(argv)
    except common.FlagError as error:
        print(f"bench/compare/run-durability: {error}", file=sys.stderr)
        sys.exit(common.EXIT_BAD_FLAGS)
