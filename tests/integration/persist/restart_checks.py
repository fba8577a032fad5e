"""Restarts on the same data directory: what comes back after a clean stop (SIGTERM, checks
named restart_*) and after SIGKILL (killed_*). Before a SIGKILL the checks pause 0.2 s: with
--durability sync every loop turn that wrote log records ends with an fdatasync, so state the
broker has acknowledged or reported that long ago is on disk."""
import signal
import threading
import time

from paho.mqtt.packettypes import PacketTypes

from harness import TIMEOUT, Broker, Client, expect, props, wait_until

EXPIRY = 600


def stop(broker, sig):
    """Stops with `sig`: SIGTERM expects exit 0, SIGKILL comes after a 0.2 s pause."""
    if sig == signal.SIGKILL:
        time.sleep(0.2)
    code = broker.stop(sig)
    wanted = 0 if sig == signal.SIGTERM else -sig
    expect(code == wanted, "broker exit %r on signal %d; log:\n%s" % (code, sig, broker.log()))


def restart(broker, sig):
    """Stops the broker with `sig`, starts it again; returns the new port."""
    stop(broker, sig)
    port = broker.start()
    expect(broker.wait_for_log("recovered"), "no 'recovered' line:\n" + broker.log())
    return port


def sessions(tmp, sig):
    """Persistent sessions (3.1.1 and 5.0) keep subscriptions and queued messages."""
    broker = Broker(tmp)
    try:
        port = broker.start()
        s311 = Client(port, "rs-311", v5=False, clean=False)
        s311.subscribe("rs/a", 1)
        s311.subscribe("rs/b/#", 2)
        s311.close()
        s5 = Client(port, "rs-5", expiry=EXPIRY)
        s5.subscribe("rs/+", 2, sub_id=5)
        s5.close()
        pub = Client(port, "rs-pub")
        for topic, payload, qos in (("rs/a", "a1", 1), ("rs/b/c", "bc1", 2), ("rs/a", "a2", 2),
                                    ("rs/x", "x1", 2)):
            expect(pub.publish(topic, payload, qos), "no acknowledgement for " + payload)
        pub.close()
        port = restart(broker, sig)
        line = [line for line in broker.log().splitlines() if "recovered" in line][0]
        print(line)
        for field in ("sessions=2 ", "subscriptions=3 ", "queued=6 ", "retained=0 "):
            expect(field in line, "recovered line without %r: %s" % (field, line))

        s311 = Client(port, "rs-311", v5=False, clean=False)
        expect(s311.session_present(), "rs-311: session not present after the restart")
        got = [(m.topic, m.payload.decode(), m.qos) for m in s311.receive(3)]
        expect(sorted(got) == [("rs/a", "a1", 1), ("rs/a", "a2", 1), ("rs/b/c", "bc1", 2)],
               "rs-311 queued messages: %r" % got)
        s5 = Client(port, "rs-5", expiry=EXPIRY, clean=False)
        expect(s5.session_present(), "rs-5: session not present after the restart")
        got = s5.receive(3)
        expect([(m.topic, m.payload.decode(), m.qos) for m in got]
               == [("rs/a", "a1", 1), ("rs/a", "a2", 2), ("rs/x", "x1", 2)],
               "rs-5 queued messages, in order: %r" % [(m.topic, m.payload, m.qos) for m in got])
        ids = [getattr(m.properties, "SubscriptionIdentifier", None) for m in got]
        expect(ids == [[5]] * 3, "rs-5 subscription identifiers after the restart: %r" % ids)

        # The subscriptions themselves came back: new messages reach both.
        pub = Client(port, "rs-pub")
        expect(pub.publish("rs/a", "a3", 2), "no acknowledgement for a3")
        expect([m.payload for m in s311.receive(1)] == [b"a3"], "rs-311 missed a3")
        expect([m.payload for m in s5.receive(1)] == [b"a3"], "rs-5 missed a3")
        expect(s311.quiet() and s5.quiet(), "unexpected extra messages")
        for c in (s311, s5, pub):
            c.close()
        expect(broker.stop() == 0, "broker exit on SIGTERM")
    finally:
        broker.close()


def retained_props():
    p = props(PacketTypes.PUBLISH, ContentType="application/json", PayloadFormatIndicator=1,
              ResponseTopic="rt/reply", CorrelationData=b"\x00\x01c", MessageExpiryInterval=3600)
    p.UserProperty = ("k", "v1")
    p.UserProperty = ("k", "v2")
    return p


def retained(tmp, sig):
    """Retained messages (with MQTT 5 properties) come back; a cleared one stays cleared."""
    broker = Broker(tmp)
    try:
        port = broker.start()
        pub5 = Client(port, "rt-pub5")
        expect(pub5.publish("rt/props", '{"v":1}', 1, retain=True, props=retained_props()),
               "no PUBACK for rt/props")
        expect(pub5.publish("rt/gone", "x", 1, retain=True), "no PUBACK for rt/gone")
        expect(pub5.publish("rt/gone", "", 1, retain=True), "no PUBACK clearing rt/gone")
        pub5.close()
        pub3 = Client(port, "rt-pub3", v5=False)
        expect(pub3.publish("rt/plain", "plain", 2, retain=True), "no PUBCOMP for rt/plain")
        pub3.close()
        port = restart(broker, sig)

        sub = Client(port, "rt-sub")
        sub.subscribe("rt/#", 2)
        got = sorted(sub.receive(2), key=lambda m: m.topic)
        expect(sub.quiet(), "more retained messages than rt/plain and rt/props")
        expect([(m.topic, m.payload, m.qos, m.retain) for m in got]
               == [("rt/plain", b"plain", 2, 1), ("rt/props", b'{"v":1}', 1, 1)],
               "retained after the restart: %r"
               % [(m.topic, m.payload, m.qos, m.retain) for m in got])
        p = got[1].properties
        expect(getattr(p, "ContentType", None) == "application/json"
               and getattr(p, "PayloadFormatIndicator", None) == 1
               and getattr(p, "ResponseTopic", None) == "rt/reply"
               and getattr(p, "CorrelationData", None) == b"\x00\x01c"
               and getattr(p, "UserProperty", None) == [("k", "v1"), ("k", "v2")]
               and 3000 <= getattr(p, "MessageExpiryInterval", 0) <= 3600,
               "retained properties after the restart: %s" % p)
        sub3 = Client(port, "rt-sub3", v5=False)
        sub3.subscribe("rt/plain", 2)
        (m,) = sub3.receive(1)
        expect(m.payload == b"plain" and m.retain, "3.1.1 subscriber: %r" % m.payload)
        sub.close()
        sub3.close()
        expect(broker.stop() == 0, "broker exit on SIGTERM")
    finally:
        broker.close()


def will(topic, payload, delay):
    return {"topic": topic, "payload": payload, "qos": 1,
            "properties": props(PacketTypes.WILLMESSAGE, WillDelayInterval=delay)}


def wills(tmp, sig):
    """A pending delayed will survives a restart and is published once its delay is over; a
    client that comes back within its will delay after the restart cancels its will."""
    broker = Broker(tmp)
    try:
        port = broker.start()
        watch = Client(port, "wl-watch", expiry=EXPIRY)
        watch.subscribe("will/#", 1)
        dying = Client(port, "wl-a", expiry=EXPIRY, will=will("will/a", "a gone", 3))
        returning = Client(port, "wl-b", expiry=EXPIRY, will=will("will/b", "b gone", 30))
        dropped_at = time.monotonic()
        dying.abandon()
        returning.abandon()
        expect(watch.quiet(0.5), "a will was published before its delay")
        port = restart(broker, sig)
        watch = Client(port, "wl-watch", expiry=EXPIRY, clean=False)
        expect(watch.session_present(), "wl-watch: session not present after the restart")
        back = Client(port, "wl-b", expiry=EXPIRY, clean=False)
        expect(back.session_present(), "wl-b: session not present after the restart")
        (m,) = watch.receive(1, timeout=10)
        waited = time.monotonic() - dropped_at
        expect((m.topic, m.payload) == ("will/a", b"a gone"), "will: %r %r" % (m.topic, m.payload))
        expect(waited >= 2.5, "will/a published %.2f s after the drop, its delay is 3 s" % waited)
        print("will/a arrived %.2f s after the connection dropped (delay 3 s)" % waited)
        expect(watch.quiet(1.0), "will/b published although wl-b came back within its delay")
        for c in (watch, back):
            c.close()
        expect(broker.stop() == 0, "broker exit on SIGTERM")
    finally:
        broker.close()


class Gate:
    """Blocks a paho loop thread (from a callback) until opened."""

    def __init__(self):
        self.reached = threading.Event()
        self.opened = threading.Event()
        self.armed = True

    def block(self):
        if self.armed:
            self.armed = False
            self.reached.set()
            self.opened.wait(15)


def qos2_inflight(tmp, sig):
    """QoS 2 exchanges interrupted by a restart complete exactly once, in three states:
    outbound PUBLISH not yet PUBREC'd, outbound PUBREL not yet PUBCOMP'd, inbound PUBLISH
    PUBREC'd but not yet released. Each paho client is connected again as the same object."""
    broker = Broker(tmp)
    try:
        port = broker.start()
        gate_rec, gate_comp, gate_rel = Gate(), Gate(), Gate()

        def hold_publish(client, userdata, level, text):  # before paho sends PUBREC
            if text.startswith("Received PUBLISH (d0, q2"):
                gate_rec.block()

        def hold_pubrel(client, userdata, level, text):  # before paho sends PUBREL
            if text.startswith("Received PUBREC"):
                gate_rel.block()

        a = Client(port, "q2-a", expiry=EXPIRY, on_log=hold_publish)
        a.subscribe("q2/a", 2)
        b = Client(port, "q2-b", v5=False, clean=False)
        b.subscribe("q2/b", 2)
        b.c.on_message = lambda *args: (gate_comp.block(), b._on_message(*args))
        c = Client(port, "q2-c", expiry=EXPIRY)
        c.subscribe("q2/in", 2)
        pub = Client(port, "q2-pub")
        expect(pub.publish("q2/a", "to-a", 2), "no PUBCOMP for q2/a")
        expect(pub.publish("q2/b", "to-b", 2), "no PUBCOMP for q2/b")
        inbound = Client(port, "q2-in", expiry=EXPIRY, on_log=hold_pubrel)
        info = inbound.c.publish("q2/in", "in-once", 2)
        for gate, what in ((gate_rec, "q2-a PUBLISH"), (gate_comp, "q2-b PUBREL"),
                           (gate_rel, "q2-in PUBREC")):
            expect(gate.reached.wait(5), "never received the " + what)
        stop(broker, sig)
        for gate in (gate_rec, gate_comp, gate_rel):
            gate.opened.set()
        port = broker.start()
        expect(broker.wait_for_log("recovered"), "no 'recovered' line")
        for client in (a, b, c, inbound):
            client.reconnect(port)
            expect(client.session_present(), "%s: session not present" % client.c._client_id)
        info.wait_for_publish(5)
        expect(info.is_published(), "q2-in: no PUBCOMP after the restart")
        time.sleep(1.0)
        for client, payload in ((a, b"to-a"), (b, b"to-b"), (c, b"in-once")):
            got = [m.payload for m in client.messages]
            expect(got == [payload], "%s received %r, expected %r exactly once"
                   % (client.c._client_id, got, payload))
        # Packet identifiers in use before the restart do not block new exchanges.
        pub.c.loop_stop()
        pub = Client(port, "q2-pub2")
        for topic in ("q2/a", "q2/b", "q2/in"):
            expect(pub.publish(topic, "after", 2), "no PUBCOMP for " + topic)
        for client in (a, b, c):
            client.wait(lambda: len(client.messages) == 2, "the message after the restart")
        for client in (a, b, c, inbound, pub):
            client.close()
        expect(broker.stop() == 0, "broker exit on SIGTERM")
    finally:
        broker.close()


def check_restart_session_expiry(tmp):
    """An offline session whose expiry passes while the broker is down is gone after the
    restart; one with a long expiry is not."""
    broker = Broker(tmp)
    try:
        port = broker.start()
        for cid, expiry in (("se-short", 2), ("se-long", EXPIRY)):
            c = Client(port, cid, expiry=expiry)
            c.subscribe("se/" + cid, 1)
            c.close()
        s311 = Client(port, "se-311", v5=False, clean=False)
        s311.subscribe("se/311", 1)
        s311.close()
        expect(broker.stop() == 0, "broker exit on SIGTERM")
        time.sleep(3.0)
        port = broker.start()
        expect(broker.wait_for_log("recovered"), "no 'recovered' line")
        short = Client(port, "se-short", expiry=2, clean=False)
        expect(not short.session_present(), "se-short: session still present 3 s after its "
               "2 s expiry (the broker was down meanwhile)")
        for cid, v5 in (("se-long", True), ("se-311", False)):
            c = Client(port, cid, v5=v5, expiry=EXPIRY if v5 else None, clean=False)
            expect(c.session_present(), cid + ": session not present after the restart")
            c.close()
        short.close()
        expect(broker.stop() == 0, "broker exit on SIGTERM")
    finally:
        broker.close()


def check_restart_sessions(tmp):
    sessions(tmp, signal.SIGTERM)


def check_killed_sessions(tmp):
    sessions(tmp, signal.SIGKILL)


def check_restart_retained(tmp):
    retained(tmp, signal.SIGTERM)


def check_killed_retained(tmp):
    retained(tmp, signal.SIGKILL)


def check_restart_will(tmp):
    wills(tmp, signal.SIGTERM)


def check_killed_will(tmp):
    wills(tmp, signal.SIGKILL)


def check_restart_qos2_inflight(tmp):
    qos2_inflight(tmp, signal.SIGTERM)


def check_killed_qos2_inflight(tmp):
    qos2_inflight(tmp, signal.SIGKILL)


def connect_on_shard(broker, port, cid, shard, received):
    """Connects `cid` (MQTT 5, resuming its session) until a connection lands on `shard` (the
    kernel spreads connections over the shards); every attempt must find the session. Messages
    received by attempts on other shards are added to `received`. Returns the client."""
    for _ in range(40):
        before = broker.log().count(connect_line(cid))
        c = Client(port, cid, expiry=EXPIRY, clean=False)
        expect(c.session_present(), "%s: session not present on a connection to shard %s; "
               "log:\n%s" % (cid, landed(broker, cid, before), broker.log()))
        on = landed(broker, cid, before)
        if on == shard:
            return c
        c.quiet(0.3)
        received += c.take()
        c.close()
    raise AssertionError("40 connections of %s, none on shard %d" % (cid, shard))


def connect_line(cid):
    """How the broker's log line of a connection of `cid` starts (after the source location)."""
    return "] connect client=%s addr=" % cid


def landed(broker, cid, before):
    """The shard of the connection after the `before` first ones logged for `cid`."""
    needle = connect_line(cid)
    expect(wait_until_count(broker, needle, before + 1), "no connect line for " + cid)
    text = broker.log()
    line = text[text.rfind(needle):].splitlines()[0]
    return int(line.split(" shard=")[1].split()[0])


def wait_until_count(broker, needle, count):
    return wait_until(lambda: broker.log().count(needle) >= count, TIMEOUT)


def session_moves(tmp, sig):
    """A session resumed on another shard after a restart (so it moves between the shards'
    logs) is still there, with its queued messages, after the next restart, on either shard."""
    broker = Broker(tmp)
    try:
        port = broker.start()
        first = Client(port, "mv", expiry=EXPIRY)
        home = landed(broker, "mv", 0)
        first.subscribe("mv/t", 1)
        first.close()
        pub = Client(port, "mv-pub")
        expect(pub.publish("mv/t", "m1", 1), "no PUBACK for m1")
        port = restart(broker, sig)
        received = []
        moved = connect_on_shard(broker, port, "mv", 1 - home, received)
        moved.quiet(0.3)
        received += moved.take()
        expect(received == ["m1"], "queued before the first restart: %r" % received)
        moved.close()
        pub = Client(port, "mv-pub")
        expect(pub.publish("mv/t", "m2", 1), "no PUBACK for m2")
        port = restart(broker, sig)
        received = []
        back = connect_on_shard(broker, port, "mv", home, received)
        back.quiet(0.3)
        received += back.take()
        expect(received == ["m2"], "queued before the second restart: %r" % received)
        pub = Client(port, "mv-pub")
        expect(pub.publish("mv/t", "m3", 1), "no PUBACK for m3")
        expect([m.payload for m in back.receive(1)] == [b"m3"], "the subscription is gone")
        back.close()
        pub.close()
        expect(broker.stop() == 0, "broker exit on SIGTERM")
    finally:
        broker.close()


def check_restart_session_moves_shard(tmp):
    session_moves(tmp, signal.SIGTERM)


def check_killed_session_moves_shard(tmp):
    session_moves(tmp, signal.SIGKILL)
