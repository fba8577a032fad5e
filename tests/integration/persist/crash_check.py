"""SIGKILL under load with --durability sync: nothing acknowledged is lost, no QoS 2 duplicate.

Offline persistent subscribers (3.1.1 clean session 0 and 5.0 with a session expiry) and one
subscriber that stays connected during the load; publishers send QoS 1 and QoS 2 messages with
unique payloads while the broker is killed at a random moment, several rounds on the same data
directory. A message counts as acknowledged when its PUBACK (QoS 1) or PUBREC (QoS 2) arrived.
Publishers use clean sessions and new client objects each round: nothing is resent after a crash.
"""
import collections
import os
import random
import signal
import threading
import time

import paho.mqtt.client as mqtt

from harness import Broker, CheckFailed, Client, expect, segments, wait_until

ROUNDS = 4
WINDOW = 16  # unacknowledged messages per publisher
CAP = 20000  # messages per publisher and round, far above what a round sends
EXPIRY = 600
# (client id, MQTT 5, filter, QoS): offline during the load.
OFFLINE = [
    ("crash-s1", False, "crash/#", 1),
    ("crash-s2", False, "crash/+/q2", 2),
    ("crash-s3", True, "crash/#", 2),
    ("crash-s4", True, "crash/p1/+", 1),
    ("crash-s5", True, "crash/+/+", 2),
]
LIVE = ("crash-live", True, "crash/#", 1)  # connected during each round, killed with the broker
PUBLISHERS = [("crash-p0", True), ("crash-p1", False), ("crash-p2", True)]


class Publisher(threading.Thread):
    """Publishes QoS 1 and 2 alternately until the connection is lost."""

    def __init__(self, port, index, v5, round_no):
        super().__init__(daemon=True)
        self.index, self.round_no = index, round_no
        self.sent = {}  # mid -> (topic, payload, qos)
        self.acked = set()  # mids with PUBACK, PUBREC or PUBCOMP
        self.outstanding = 0
        self.cond = threading.Condition()
        cid = "%s-r%d" % (PUBLISHERS[index][0], round_no)
        self.client = Client(port, cid, v5=v5, clean=True, on_log=self._on_log)
        self.client.c.max_inflight_messages_set(WINDOW)
        self.client.c.on_publish = self._on_publish
        client_on_disconnect = self.client.c.on_disconnect

        def on_disconnect(*args):
            client_on_disconnect(*args)
            with self.cond:
                self.cond.notify_all()

        self.client.c.on_disconnect = on_disconnect

    def _ack(self, mid):
        with self.cond:
            self.acked.add(mid)
            self.cond.notify_all()

    def _on_publish(self, client, userdata, mid):
        with self.cond:
            self.outstanding -= 1
        self._ack(mid)

    def _on_log(self, client, userdata, level, text):
        if text.startswith("Received PUBREC (Mid: "):
            self._ack(int(text[len("Received PUBREC (Mid: "):-1]))

    def lost(self):
        with self.client.cond:
            return self.client.lost

    def run(self):
        for seq in range(CAP):
            with self.cond:
                self.cond.wait_for(lambda: self.outstanding < WINDOW or self.lost(), 0.5)
                if self.lost():
                    return
                self.outstanding += 1
            qos = 1 + seq % 2
            topic = "crash/p%d/q%d" % (self.index, qos)
            payload = "r%d-p%d-s%d" % (self.round_no, self.index, seq)
            info = self.client.c.publish(topic, payload, qos)
            self.sent[info.mid] = (topic, payload, qos)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                return

    def results(self):
        """(sent, acknowledged) as lists of (topic, payload, qos)."""
        with self.cond:
            return list(self.sent.values()), [self.sent[m] for m in self.acked if m in self.sent]


class LiveSubscriber:
    """The connected subscriber: one client object per broker run, messages gathered across."""

    def __init__(self):
        self.clients = []

    def connect(self, port):
        cid, v5, topic, qos = LIVE
        c = Client(port, cid, v5=v5, clean=not self.clients, expiry=EXPIRY)
        if self.clients:
            expect(c.session_present(), "%s: session not present after a crash" % cid)
        else:
            c.subscribe(topic, qos)
        self.clients.append(c)
        return c

    def stop(self):
        self.clients[-1].c.loop_stop()

    def messages(self):
        return [m for c in self.clients for m in c.messages]


def make_offline_sessions(port):
    for cid, v5, topic, qos in OFFLINE:
        c = Client(port, cid, v5=v5, clean=True, expiry=EXPIRY if v5 else None)
        if not v5:  # a 3.1.1 session made with clean session 0 from the start
            c.close()
            c = Client(port, cid, v5=False, clean=False)
        granted = c.subscribe(topic, qos)
        code = getattr(granted[0], "value", granted[0])
        expect(len(granted) == 1 and code == qos, "%s: SUBACK %r" % (cid, granted))
        c.close()


def load_and_kill(broker, live, round_no, rng):
    """One round: start, load, SIGKILL; returns (sent, acknowledged) of every publisher."""
    port = broker.start()
    if round_no > 0:
        expect(broker.wait_for_log("recovered"), "no 'recovered' line:\n" + broker.log())
    else:
        make_offline_sessions(port)
    live.connect(port)
    pubs = [Publisher(port, i, v5, round_no) for i, (_, v5) in enumerate(PUBLISHERS)]
    for p in pubs:
        p.start()
    expect(wait_until(lambda: all(p.acked for p in pubs), 5.0),
           "round %d: no acknowledgement within 5 s; log:\n%s" % (round_no, broker.log()))
    delay = rng.uniform(0.3, 1.5)
    time.sleep(delay)
    code = broker.stop(signal.SIGKILL)
    expect(code == -signal.SIGKILL, "round %d: broker exit %r before the kill" % (round_no, code))
    sent, acked = [], []
    for p in pubs:
        p.join(10)
        expect(not p.is_alive(), "round %d: publisher %d did not stop" % (round_no, p.index))
        p.client.c.loop_stop()
        s, a = p.results()
        sent += s
        acked += a
    live.stop()
    print("round %d: killed after %.2f s of load, %d sent, %d acknowledged"
          % (round_no, delay, len(sent), len(acked)))
    return sent, acked


def matching(flt, messages):
    return {payload for topic, payload, _ in messages if mqtt.topic_matches_sub(flt, topic)}


def verify(name, flt, sub_qos, received, sent, acked):
    """Checks one subscriber's messages; returns a list of problems (empty if none)."""
    problems = []
    expected = matching(flt, acked)
    possible = matching(flt, sent)
    got = collections.Counter(m.payload.decode() for m in received)
    missing = expected - set(got)
    unknown = set(got) - possible
    twice_qos2 = sorted(p for m, p in ((m, m.payload.decode()) for m in received)
                        if m.qos == 2 and got[p] > 1)
    extra = set(got) & (possible - expected)
    print("%-11s %-12s qos %d: %6d acknowledged, %6d received (%d distinct), "
          "%d extra unacknowledged received, %d missing, %d QoS 2 duplicates"
          % (name, flt, sub_qos, len(expected), sum(got.values()), len(got), len(extra),
             len(missing), len(set(twice_qos2))))
    if missing:
        problems.append("%s lost %d acknowledged messages, e.g. %s"
                        % (name, len(missing), sorted(missing)[:10]))
    if unknown:
        problems.append("%s received messages never sent to it: %s" % (name, sorted(unknown)[:10]))
    if twice_qos2:
        problems.append("%s received QoS 2 messages twice: %s"
                        % (name, sorted(set(twice_qos2))[:10]))
    return problems


def drain(port, live):
    """Reconnects every subscriber and gathers messages until all are in and 1 s passes quietly."""
    subs = []
    for cid, v5, topic, qos in OFFLINE:
        c = Client(port, cid, v5=v5, clean=False, expiry=EXPIRY if v5 else None)
        expect(c.session_present(), "%s: session not present after the crashes" % cid)
        subs.append(c)
    live_client = live.connect(port)
    expect(live_client.session_present(), "crash-live: session not present")
    everyone = subs + [live_client]

    def count():
        return sum(len(c.messages) for c in everyone)

    last, quiet_since = -1, time.monotonic()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and time.monotonic() - quiet_since < 1.0:
        time.sleep(0.1)
        if count() != last:
            last, quiet_since = count(), time.monotonic()
    return subs


def crash_rounds(tmp, extra_args):
    seed = int(os.environ.get("RINGMQ_CRASH_SEED", random.randrange(1 << 30)))
    print("seed %d (RINGMQ_CRASH_SEED to repeat the kill times)" % seed)
    rng = random.Random(seed)
    # Another --durability (batch, none) shows what the check catches: acknowledgements given
    # before the log records are written may be lost.
    durability = os.environ.get("RINGMQ_CRASH_DURABILITY", "sync")
    broker = Broker(tmp, ["--max-queued-messages", "0"] + extra_args, threads=2,
                    durability=durability)
    live = LiveSubscriber()
    sent, acked = [], []
    try:
        for round_no in range(ROUNDS):
            s, a = load_and_kill(broker, live, round_no, rng)
            sent += s
            acked += a
        port = broker.start()
        expect(broker.wait_for_log("recovered"), "no 'recovered' line")
        print([line for line in broker.log().splitlines() if "recovered" in line][-1])
        # Each start and each compaction begins a segment: beyond ROUNDS + 1, compactions.
        print("segment sequence numbers reached: %s"
              % {shard: seq for shard, seq, _ in segments(tmp)})
        subs = drain(port, live)
        problems = []
        for (cid, _, flt, qos), c in zip(OFFLINE, subs):
            problems += verify(cid, flt, qos, c.messages, sent, acked)
        problems += verify(LIVE[0], LIVE[2], LIVE[3], live.messages(), sent, acked)
        for c in subs + live.clients[-1:]:
            c.close()
        code = broker.stop()
        expect(code == 0, "broker exit %r after the drain" % code)
        if problems:
            raise CheckFailed("\n".join(problems))
    finally:
        broker.close()


def check_crash_sigkill(tmp):
    crash_rounds(tmp, [])


def check_crash_sigkill_compacting(tmp):
    """The same with compaction every few hundred kilobytes: kills land during compactions."""
    crash_rounds(tmp, ["--compact-bytes", "300000"])
