#!/usr/bin/python3
"""Checks perf/flamegraph.py: folding a handmade `perf script` sample and rendering it as SVG."""

import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import flamegraph  # noqa: E402

SAMPLE = os.path.join(HERE, "testdata", "sample.perf-script")
SVG_NS = "{http://www.w3.org/2000/svg}"


def sample_counts():
    with open(SAMPLE, encoding="utf-8") as f:
        return flamegraph.fold_lines(f)


class FoldTest(unittest.TestCase):
    def test_folds_identical_stacks_without_offsets(self):
        counts = sample_counts()
        self.assertEqual(
            counts["ringmq;main;rmq::broker::Broker::route;rmq::router::TopicIndex::match"], 2
        )

    def test_kernel_frames_are_marked_and_unknown_frames_name_their_object(self):
        counts = sample_counts()
        stack = (
            "ringmq;main;std::vector<int, std::allocator<int> >::push_back;[liburing.so.2.3];"
            "io_issue_sqe_[k];tcp_sendmsg_locked_[k]"
        )
        self.assertEqual(counts[stack], 1)

    def test_thread_names_with_spaces_become_one_root_frame(self):
        counts = sample_counts()
        self.assertEqual(counts["rmq_shard_1;[unknown];rmq::engine::Shard::run"], 1)
        self.assertEqual(sum(counts.values()), 4)

    def test_no_comm_drops_the_thread_root(self):
        with open(SAMPLE, encoding="utf-8") as f:
            counts = flamegraph.fold_lines(f, include_comm=False)
        self.assertIn("main;rmq::broker::Broker::route;rmq::router::TopicIndex::match", counts)

    def test_folded_text_round_trips(self):
        counts = sample_counts()
        text = flamegraph.format_folded(counts)
        self.assertEqual(flamegraph.parse_folded(text.splitlines()), counts)
        self.assertTrue(text.endswith(" 1\n") or text.endswith(" 2\n"))


class SvgTest(unittest.TestCase):
    def setUp(self):
        self.root = ET.fromstring(flamegraph.render_svg(sample_counts(), title="t <&> t"))

    def boxes(self):
        """{frame name: (samples, width)} from every <g><title/><rect/></g>."""
        out = {}
        for g in self.root.iter(SVG_NS + "g"):
            title = g.find(SVG_NS + "title").text
            name, _, rest = title.rpartition(" (")
            samples = int(rest.split()[0])
            out.setdefault(name, []).append((samples, float(g.find(SVG_NS + "rect").get("width"))))
        return out

    def test_is_well_formed_and_escapes_names(self):
        self.assertEqual(self.root.tag, SVG_NS + "svg")
        texts = [t.text for t in self.root.iter(SVG_NS + "text")]
        self.assertIn("t <&> t", texts)
        self.assertIn("std::vector<int, std::allocator<int> >::push_back", self.boxes())

    def test_widths_are_proportional_to_samples(self):
        boxes = self.boxes()
        (all_samples, all_width), = boxes["all"]
        self.assertEqual(all_samples, 4)
        (match_samples, match_width), = boxes["rmq::router::TopicIndex::match"]
        self.assertEqual(match_samples, 2)
        self.assertAlmostEqual(match_width, all_width / 2, delta=0.02)

    def test_children_stack_above_their_parent(self):
        ys = {}
        for g in self.root.iter(SVG_NS + "g"):
            name = g.find(SVG_NS + "title").text.rpartition(" (")[0]
            ys[name] = float(g.find(SVG_NS + "rect").get("y"))
        self.assertLess(ys["main"], ys["ringmq"])
        self.assertLess(ys["rmq::broker::Broker::route"], ys["main"])


class CommandLineTest(unittest.TestCase):
    def test_render_writes_svg_and_folded(self):
        with tempfile.TemporaryDirectory() as tmp:
            svg, folded = os.path.join(tmp, "g.svg"), os.path.join(tmp, "g.folded")
            subprocess.run(
                [sys.executable, os.path.join(HERE, "flamegraph.py"), "render", SAMPLE,
                 "-o", svg, "--folded", folded],
                check=True,
            )
            ET.parse(svg)
            with open(folded, encoding="utf-8") as f:
                self.assertEqual(len(f.read().splitlines()), 3)

    def test_empty_input_fails(self):
        with tempfile.TemporaryDirectory() as tmp:
            empty = os.path.join(tmp, "empty")
            open(empty, "w").close()
            r = subprocess.run(
                [sys.executable, os.path.join(HERE, "flamegraph.py"), "render", empty,
                 "-o", os.path.join(tmp, "x.svg")],
                capture_output=True,
            )
            self.assertEqual(r.returncode, 1)


if __name__ == "__main__":
    unittest.main()
