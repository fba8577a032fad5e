"""Command-line flags of bench/compare/run. Bad flags print one line and exit with status 2."""

import argparse
import glob
import os
import shutil
import sys
import time
from dataclasses import dataclass, field

EXIT_BAD_FLAGS = 2
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


class FlagError(Exception):
    """A flag is missing, malformed or contradicts another one."""


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad flag as one line instead of usage plus message."""

    def error(self, message):
        raise FlagError(message)


@dataclass
class ExtraBroker:
    """A broker given as --broker NAME=COMMAND; `{port}` in the command is its listen port."""

    name: str
    command: str


@dataclass
class Options:
    matrix: str
    repeat: int
    duration: float
    warmup: float
    out_dir: str
    ringmq: str
    loadgen: str
    mosquitto: str
    ringmq_threads: int
    loadgen_threads: int
    extra_brokers: list = field(default_factory=list)
    forwarder: str = None  # None: --no-forwarder; "": not found (left out with a message)
    tls: bool = False  # the TLS scenarios are in the matrix (--tls or --matrix tls)
    tls_key_type: str = "p256"


def _newest(pattern):
    """The most recently modified file matching `pattern` under the repository, or ''."""
    found = [p for p in glob.glob(os.path.join(REPO_ROOT, pattern)) if os.access(p, os.X_OK)]
    return max(found, key=os.path.getmtime) if found else ""


def _build_parser():
    parser = _OneLineParser(prog="bench/compare/run", add_help=True,
                            description="Run the same MQTT benchmark matrix against ringmq, "
                            "Mosquitto and any other broker, one broker at a time.")
    parser.add_argument("--quick", action="store_true",
                        help="short runs: 2 s, 1 repeat, and the quick matrix (2 scenarios) "
                        "unless --matrix says otherwise (smoke test)")
    parser.add_argument("--matrix", choices=["standard", "quick", "tls"], default=None,
                        help="tls: TLS handshakes/s full and resumed, fan-in over TLS and plain")
    parser.add_argument("--tls", action="store_true",
                        help="add the TLS scenarios to the matrix")
    parser.add_argument("--tls-key-type", choices=["p256", "rsa2048"], default="p256",
                        help="key of the generated server certificate (default p256: ECDSA)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per scenario and broker "
                        "(median reported; default 3, 1 with --quick)")
    parser.add_argument("--duration", type=float, default=None,
                        help="measured seconds per run (default 5, 2 with --quick)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="warm-up seconds per run (default 1, 0.5 with --quick)")
    parser.add_argument("--broker", action="append", default=[], metavar="NAME=COMMAND",
                        help="another broker; COMMAND must contain {port} (repeatable)")
    parser.add_argument("--out", default=None, help="output directory (default "
                        "bench/compare/out/<date>)")
    parser.add_argument("--ringmq", default=None, help="ringmq binary (default: newest build)")
    parser.add_argument("--loadgen", default=None,
                        help="ringmq-bench binary (default: newest build)")
    parser.add_argument("--mosquitto", default=None, help="mosquitto binary (default: PATH, "
                        "/usr/sbin/mosquitto)")
    parser.add_argument("--forwarder", default=None, help="ringmq-forwarder binary, the "
                        "latency floor of the fixed-rate scenarios (default: newest build)")
    parser.add_argument("--no-forwarder", action="store_true",
                        help="leave the trivial-forwarder floor reference out")
    parser.add_argument("--ringmq-threads", type=int, default=0,
                        help="ringmq --threads (default 0: one per online CPU)")
    parser.add_argument("--loadgen-threads", type=int, default=1,
                        help="ringmq-bench --threads (default 1)")
    return parser


def _parse_extra_broker(text, taken):
    name, sep, command = text.partition("=")
    if not sep or not name or not command.strip():
        raise FlagError(f"--broker {text!r}: expected NAME=COMMAND")
    if not name.replace("-", "").replace("_", "").isalnum():
        raise FlagError(f"--broker {text!r}: NAME may hold letters, digits, '-' and '_' only")
    if "{port}" not in command:
        raise FlagError(f"--broker {name}: the command must contain {{port}}")
    if name in taken:
        raise FlagError(f"--broker {name}: a broker with that name is already given")
    taken.add(name)
    return ExtraBroker(name=name, command=command)


def _find_mosquitto(flag_value):
    if flag_value:
        return flag_value
    return shutil.which("mosquitto") or ("/usr/sbin/mosquitto"
                                         if os.access("/usr/sbin/mosquitto", os.X_OK) else "")


def _find_forwarder(args):
    if args.no_forwarder:
        return None
    path = (args.forwarder or _newest("build*/**/bench/forwarder/ringmq-forwarder")
            or _newest("build*/bench/forwarder/ringmq-forwarder"))
    return os.path.abspath(path) if path else ""


def parse(argv):
    """Parses argv (without the program name); raises FlagError on any bad flag."""
    args = _build_parser().parse_args(argv)
    quick = args.quick or args.matrix == "quick"
    matrix = args.matrix or ("quick" if args.quick else "standard")
    repeat = args.repeat if args.repeat is not None else (1 if quick else 3)
    duration = args.duration if args.duration is not None else (2.0 if quick else 5.0)
    warmup = args.warmup if args.warmup is not None else (0.5 if quick else 1.0)
    if repeat < 1:
        raise FlagError("--repeat must be at least 1")
    if not 0 < duration <= 3600:
        raise FlagError("--duration must be in (0, 3600] seconds")
    if not 0 <= warmup <= 600:
        raise FlagError("--warmup must be in [0, 600] seconds")
    if args.ringmq_threads < 0 or args.loadgen_threads < 1:
        raise FlagError("--ringmq-threads must be >= 0 and --loadgen-threads >= 1")
    taken = {"ringmq", "mosquitto", "forwarder"}
    extra = [_parse_extra_broker(text, taken) for text in args.broker]
    ringmq = args.ringmq or _newest("build*/**/broker/ringmq") or _newest("build*/broker/ringmq")
    loadgen = (args.loadgen or _newest("build*/**/bench/loadgen/ringmq-bench")
               or _newest("build*/bench/loadgen/ringmq-bench"))
    for flag, path in (("--ringmq", ringmq), ("--loadgen", loadgen)):
        if not path or not os.access(path, os.X_OK):
            raise FlagError(f"{flag}: no executable found ({path or 'nothing built'}); "
                            "build the release preset or pass the path")
    out_dir = args.out or os.path.join(REPO_ROOT, "bench", "compare", "out",
                                       time.strftime("%Y%m%d-%H%M%S"))
    return Options(matrix=matrix, repeat=repeat,
                   duration=duration, warmup=warmup, out_dir=os.path.abspath(out_dir),
                   ringmq=os.path.abspath(ringmq), loadgen=os.path.abspath(loadgen),
                   mosquitto=_find_mosquitto(args.mosquitto),
                   ringmq_threads=args.ringmq_threads, loadgen_threads=args.loadgen_threads,
                   extra_brokers=extra, forwarder=_find_forwarder(args),
                   tls=args.tls or matrix == "tls", tls_key_type=args.tls_key_type)


def parse_or_exit(argv):
    """parse(), printing a bad flag as one line on stderr and exiting with status 2."""
    try:
        return parse(argv)
    except FlagError as error:
        print(f"bench/compare/run: {error}", file=sys.stderr)
        sys.exit(EXIT_BAD_FLAGS)
