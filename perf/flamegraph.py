#!/usr/bin/python3
"""Flame graphs from `perf script` output: fold stacks, render an SVG. Python 3 standard library.

  flamegraph.py fold [PERF_SCRIPT|-]                 folded stacks on stdout
  flamegraph.py svg  [FOLDED|-] -o OUT.svg [--title T]
  flamegraph.py render PERF_SCRIPT -o OUT.svg [--title T] [--folded OUT.folded]

Folded format: one line per distinct stack, frames root first separated by ';', then a space and
the number of samples, e.g. `ringmq;main;Shard::run;io_uring_enter_[k] 12`. Kernel frames carry
the suffix `_[k]`; the thread name (comm) is the root frame.

Reading the SVG: each box is a function; its width is the share of samples in which it was on the
stack; the boxes above it are what it called. Wide plateaus at the top are where time is spent.
Hover a box for its sample count and percentage.
"""

import argparse
import re
import sys
from xml.sax.saxutils import escape

_HEADER = re.compile(r"^(?P<comm>\S.*?)\s+(?P<pid>\d+)(?:/(?P<tid>\d+))?\s+(?:\[\d+\]\s+)?[\d.]+:")
_FRAME = re.compile(r"^\s+(?P<addr>[0-9a-fA-F]+)\s+(?P<sym>.+?)(?:\s+\((?P<dso>[^()]*)\))?\s*$")
_OFFSET = re.compile(r"\+0x[0-9a-fA-F]+$")


def frame_name(sym, dso):
    """A frame's name: the symbol without its +0x offset; unknown symbols name their object."""
    sym = _OFFSET.sub("", sym.strip())
    dso = (dso or "").strip()
    if sym in ("[unknown]", "") and dso and dso != "[unknown]":
        sym = "[" + dso.rsplit("/", 1)[-1] + "]"
    if dso.startswith("[kernel"):
        sym += "_[k]"
    return sym.replace(";", ":")


def fold_lines(lines, include_comm=True):
    """Folds `perf script` lines into {stack (root first, ';'-joined): samples}."""
    counts = {}
    comm = None
    frames = []

    def flush():
        if comm is None:
            return
        stack = list(reversed(frames))
        if include_comm:
            stack.insert(0, comm.replace(";", ":").replace(" ", "_"))
        if stack:
            key = ";".join(stack)
            counts[key] = counts.get(key, 0) + 1

    for raw in lines:
        line = raw.rstrip("\n")
        if not line.strip():
            flush()
            comm, frames = None, []
            continue
        if line.startswith("#"):
            continue
        if not line[0].isspace():
            flush()
            match = _HEADER.match(line)
            comm, frames = (match.group("comm") if match else line.split()[0]), []
            continue
        match = _FRAME.match(line)
        if match and comm is not None:
            frames.append(frame_name(match.group("sym"), match.group("dso")))
    flush()
    return counts


def format_folded(counts):
    return "".join(f"{stack} {n}\n" for stack, n in sorted(counts.items()))


def parse_folded(lines):
    counts = {}
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, n = line.rpartition(" ")
        if stack and n.isdigit():
            counts[stack] = counts.get(stack, 0) + int(n)
    return counts


class Node:
    __slots__ = ("name", "value", "children")

    def __init__(self, name):
        self.name, self.value, self.children = name, 0, {}


def build_tree(counts):
    root = Node("all")
    for stack, n in counts.items():
        root.value += n
        node = root
        for name in stack.split(";"):
            node = node.children.setdefault(name, Node(name))
            node.value += n
    return root


def _color(name):
    """Deterministic warm colours for user frames, orange-brown for kernel ones."""
    h = 0
    for ch in name:
        h = (h * 31 + ord(ch)) & 0xFFFFFFFF
    v = (h % 1000) / 1000.0
    if name.endswith("_[k]"):
        return f"rgb({200 + int(40 * v)},{120 + int(50 * v)},{40 + int(30 * v)})"
    return f"rgb({225 + int(30 * v)},{int(60 + 150 * v)},{int(40 * v)})"


def render_svg(counts, title="Flame graph", width=1200, frame_height=16, min_width=0.1):
    """The flame graph of `counts` as SVG text (root at the bottom)."""
    root = build_tree(counts)
    total = max(root.value, 1)
    pad_top, pad_bottom, side = 40, 20, 10
    scale = (width - 2 * side) / total

    def depth_of(node):
        return 1 + max((depth_of(c) for c in node.children.values()), default=0)

    depth = depth_of(root)
    height = pad_top + depth * frame_height + pad_bottom
    out = [
        '<?xml version="1.0" standalone="no"?>',
        f'<svg version="1.1" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f8f8f8"/>',
        f'<text x="{width / 2:.1f}" y="24" font-size="17" font-family="Verdana" '
        f'text-anchor="middle">{escape(title)}</text>',
        f'<text x="{side}" y="{height - 5}" font-size="12" font-family="Verdana">'
        f"{root.value} samples; width = share of samples; hover for counts</text>",
    ]

    def emit(node, x, level):
        w = node.value * scale
        if w < min_width:
            return
        y = height - pad_bottom - (level + 1) * frame_height
        pct = 100.0 * node.value / total
        label = f"{node.name} ({node.value} samples, {pct:.2f}%)"
        out.append(f"<g><title>{escape(label)}</title>")
        out.append(
            f'<rect x="{x:.2f}" y="{y}" width="{w:.2f}" height="{frame_height - 1}" '
            f'fill="{_color(node.name)}" rx="2" ry="2"/>'
        )
        chars = int((w - 6) / 7)
        if chars >= 3:
            text = node.name if len(node.name) <= chars else node.name[: chars - 2] + ".."
            out.append(
                f'<text x="{x + 3:.2f}" y="{y + frame_height - 4}" font-size="12" '
                f'font-family="Verdana">{escape(text)}</text>'
            )
        out.append("</g>")
        child_x = x
        for name in sorted(node.children):
            child = node.children[name]
            emit(child, child_x, level + 1)
            child_x += child.value * scale

    emit(root, float(side), 0)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _open_in(path):
    return sys.stdin if path in (None, "-") else open(path, encoding="utf-8", errors="replace")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_fold = sub.add_parser("fold", help="perf script text -> folded stacks")
    p_fold.add_argument("input", nargs="?", default="-")
    p_fold.add_argument("--no-comm", action="store_true", help="do not root stacks at the thread")
    p_svg = sub.add_parser("svg", help="folded stacks -> SVG")
    p_svg.add_argument("input", nargs="?", default="-")
    p_render = sub.add_parser("render", help="perf script text -> SVG (and folded)")
    p_render.add_argument("input")
    p_render.add_argument("--folded", help="also write the folded stacks here")
    for p in (p_svg, p_render):
        p.add_argument("-o", "--output", required=True)
        p.add_argument("--title", default="Flame graph")
    args = parser.parse_args(argv)

    with _open_in(args.input) as f:
        if args.command == "fold":
            sys.stdout.write(format_folded(fold_lines(f, include_comm=not args.no_comm)))
            return 0
        counts = parse_folded(f) if args.command == "svg" else fold_lines(f)
    if args.command == "render" and args.folded:
        with open(args.folded, "w", encoding="utf-8") as f:
            f.write(format_folded(counts))
    if not counts:
        print("flamegraph.py: no samples with stacks in the input", file=sys.stderr)
        return 1
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(render_svg(counts, title=args.title))
    return 0


if __name__ == "__main__":
    sys.exit(main())
