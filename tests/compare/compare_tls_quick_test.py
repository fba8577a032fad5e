#!/usr/bin/python3
"""Runs `bench/compare/run --quick --matrix tls` (short runs) against the real ringmq and
Mosquitto and checks the TLS rows: handshakes/s full and resumed, fan-in over TLS and plain,
ratios, and TLS / plain. A ringmq built without TLS listeners must be reported as not starting
with one, while its plain run goes on.

usage: compare_tls_quick_test.py RUN RINGMQ RINGMQ_BENCH MOSQUITTO
"""

import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

RUN, RINGMQ, LOADGEN, MOSQUITTO = (sys.argv[1:5] + [""] * 4)[:4]


def ringmq_has_tls():
    done = subprocess.run([RINGMQ, "--help"], capture_output=True, text=True, timeout=30)
    return "--tls-listen" in done.stdout + done.stderr


class TlsQuickRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.TemporaryDirectory(prefix="compare-tls-test-")
        cls.done = subprocess.run(
            [RUN, "--quick", "--matrix", "tls", "--duration", "1", "--warmup", "0.3",
             "--no-forwarder", "--out", cls.out.name, "--ringmq", RINGMQ, "--loadgen", LOADGEN,
             "--mosquitto", MOSQUITTO], capture_output=True, text=True, timeout=250)
        with open(os.path.join(cls.out.name, "results.json"), encoding="utf-8") as results:
            cls.results = json.load(results)
        cls.brokers = ["ringmq", "mosquitto"] if ringmq_has_tls() else ["mosquitto"]

    @classmethod
    def tearDownClass(cls):
        cls.out.cleanup()

    def summary(self, scenario, broker):
        return self.results["medians"][scenario][broker]

    def test_exits_zero_with_the_tls_matrix(self):
        self.assertEqual(self.done.returncode, 0, self.done.stderr)
        self.assertEqual([s["name"] for s in self.results["scenarios"]],
                         ["tls-handshake-full", "tls-handshake-resumed", "fanin-16B-max",
                          "fanin-16B-max-tls"])
        self.assertTrue(self.results["config"]["tls"])

    def test_handshakes_full_and_resumed(self):
        for broker in self.brokers:
            full = self.summary("tls-handshake-full", broker)
            resumed = self.summary("tls-handshake-resumed", broker)
            for summary in (full, resumed):
                self.assertEqual(summary["ok"], 1, summary["errors"])
                self.assertGreater(summary["handshakes_per_s"], 0)
                self.assertGreater(summary["connect_p99_us"], 0)
            self.assertEqual(full["resumed_fraction"], 0, broker)
            self.assertGreater(resumed["resumed_fraction"], 0.5, broker)

    def test_fanin_over_tls_and_plain(self):
        for broker in ["ringmq", "mosquitto"]:
            self.assertEqual(self.summary("fanin-16B-max", broker)["ok"], 1)
        for broker in self.brokers:
            tls = self.summary("fanin-16B-max-tls", broker)
            self.assertEqual(tls["ok"], 1, tls["errors"])
            ratio = self.results["tls_over_plain"]["fanin-16B-max-tls"][broker]
            self.assertTrue(isinstance(ratio, float) and math.isfinite(ratio) and ratio > 0)
        self.assertIn("TLS / plain deliveries/s", self.done.stdout)
        self.assertIn("handshakes/s", self.done.stdout)

    def test_ratios_or_a_reported_missing_tls_listener(self):
        ratios = self.results["ratios"]
        if "ringmq" in self.brokers:
            for scenario in ("tls-handshake-full", "tls-handshake-resumed", "fanin-16B-max-tls"):
                for metric, value in ratios[scenario]["mosquitto"].items():
                    self.assertIsInstance(value, float, f"{scenario} {metric}")
            return
        ringmq = self.results["brokers"][0]
        self.assertTrue(ringmq["failed_to_start_tls"])
        self.assertIsNone(ringmq["failed_to_start"])
        self.assertIn("ringmq with a TLS listener did not start", self.done.stdout)


if __name__ == "__main__":
    if not MOSQUITTO or not os.access(MOSQUITTO, os.X_OK):
        print("mosquitto is not installed: skipped")
        sys.exit(77)
    unittest.main(argv=sys.argv[:1], verbosity=2)
