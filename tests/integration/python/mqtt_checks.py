"""Checks of the ringmq broker with Debian's python3-paho-mqtt (MQTT 3.1.1 and 5.0).

Usage: mqtt_checks.py PORT [CHECK...]. Runs every check (or the named ones) against a broker on
127.0.0.1:PORT, prints one line per check and exits non-zero if any failed.
"""
import sys
import threading
import time
import traceback

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

PORT = 0
TIMEOUT = 5.0


class Client:
    """A paho client with a background loop and a queue of received messages."""

    def __init__(self, client_id, v5=True, clean=True, connect_props=None, will=None):
        self.v5 = v5
        protocol = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
        kwargs = {} if v5 else {"clean_session": clean}
        self.c = mqtt.Client(client_id, protocol=protocol, reconnect_on_failure=False, **kwargs)
        self.messages = []
        self.cond = threading.Condition()
        self.connack = None
        self.disconnect_rc = None
        self.acks = {}
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.on_disconnect = self._on_disconnect
        self.c.on_subscribe = self._on_subscribe
        if will:
            self.c.will_set(*will)
        if v5:
            self.c.connect("127.0.0.1", PORT, 60, clean_start=clean, properties=connect_props)
        else:
            self.c.connect("127.0.0.1", PORT, 60)
        self.c.loop_start()
        self._wait(lambda: self.connack is not None, "CONNACK")

    def _on_connect(self, client, userdata, flags, rc, properties=None):
        with self.cond:
            self.connack = (flags, rc, properties)
            self.cond.notify_all()

    def _on_message(self, client, userdata, message):
        with self.cond:
            self.messages.append(message)
            self.cond.notify_all()

    def _on_disconnect(self, client, userdata, rc, properties=None):
        with self.cond:
            if self.disconnect_rc is None:  # the server's DISCONNECT, before the socket closed
                self.disconnect_rc = rc
            self.cond.notify_all()

    def _on_subscribe(self, client, userdata, mid, granted, properties=None):
        with self.cond:
            self.acks[mid] = granted
            self.cond.notify_all()

    def _wait(self, predicate, what, timeout=TIMEOUT):
        with self.cond:
            if not self.cond.wait_for(predicate, timeout):
                raise AssertionError("timed out waiting for " + what)

    def rc(self):
        rc = self.connack[1]
        return rc.value if hasattr(rc, "value") else rc

    def session_present(self):
        return bool(self.connack[0].get("session present"))

    def subscribe(self, topic, qos=0, props=None, **options):
        if self.v5:
            opts = mqtt.SubscribeOptions(qos=qos, **options)
            _, mid = self.c.subscribe(topic, options=opts, properties=props)
        else:
            _, mid = self.c.subscribe(topic, qos)
        self._wait(lambda: mid in self.acks, "SUBACK")
        return self.acks[mid]

    def publish(self, topic, payload, qos=0, retain=False, props=None):
        info = self.c.publish(topic, payload, qos, retain, properties=props)
        info.wait_for_publish(TIMEOUT)
        assert info.is_published(), "publish not completed"

    def receive(self, count=1, timeout=TIMEOUT):
        self._wait(lambda: len(self.messages) >= count, "%d messages" % count, timeout)
        out, self.messages = self.messages[:count], self.messages[count:]
        return out

    def quiet(self, wait=0.3):
        time.sleep(wait)
        return not self.messages

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()

    def drop(self):
        self.c.socket().close()
        self.c.loop_stop()


def props(packet_type, **values):
    p = Properties(packet_type)
    for name, value in values.items():
        setattr(p, name, value)
    return p


def check_qos_matrix():
    for pub_v5 in (False, True):
        for sub_v5 in (False, True):
            for qos in (0, 1, 2):
                sub = Client("py-sub", v5=sub_v5)
                sub.subscribe("py/q", qos)
                pub = Client("py-pub", v5=pub_v5)
                for i in range(3):
                    pub.publish("py/q", "m%d" % i, qos)
                got = sub.receive(3)
                assert [m.payload for m in got] == [b"m0", b"m1", b"m2"], got
                assert all(m.qos == qos for m in got)
                assert sub.quiet(0.1)
                pub.close()
                sub.close()


def check_multiple_subscription_identifiers():
    sub = Client("py-ids")
    sub.subscribe("ids/#", 0, props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=7))
    sub.subscribe("ids/x", 2, props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=9))
    pub = Client("py-ids-pub")
    pub.publish("ids/x", "m", 2)
    (m,) = sub.receive()
    assert m.qos == 2, m.qos
    assert sorted(m.properties.SubscriptionIdentifier) == [7, 9], m.properties
    assert sub.quiet()


def check_properties_in_order():
    sub = Client("py-props")
    sub.subscribe("req", 1)
    pub = Client("py-props-pub")
    p = props(PacketTypes.PUBLISH, ResponseTopic="resp/1", CorrelationData=b"\x00id",
              ContentType="text/plain", PayloadFormatIndicator=1, MessageExpiryInterval=60)
    p.UserProperty = ("z", "1")
    p.UserProperty = ("a", "2")
    p.UserProperty = ("z", "3")
    pub.publish("req", "hello", 1, props=p)
    (m,) = sub.receive()
    q = m.properties
    assert q.ResponseTopic == "resp/1" and q.CorrelationData == b"\x00id", q
    assert q.ContentType == "text/plain" and q.PayloadFormatIndicator == 1, q
    assert 55 <= q.MessageExpiryInterval <= 60, q
    assert q.UserProperty == [("z", "1"), ("a", "2"), ("z", "3")], q.UserProperty


def check_outbound_topic_aliases():
    sub = Client("py-alias", connect_props=props(PacketTypes.CONNECT, TopicAliasMaximum=1))
    sub.subscribe("al/#")
    pub = Client("py-alias-pub")
    for t in ("al/a", "al/a", "al/b"):
        pub.publish(t, t, 0)
    got = sub.receive(3)
    # paho 1.6 does not resolve aliases: the wire shows through.
    assert got[0].topic == "al/a" and got[0].properties.TopicAlias == 1, got[0].properties
    assert got[1].topic == "" and got[1].properties.TopicAlias == 1, got[1].properties
    assert got[2].topic == "al/b" and not hasattr(got[2].properties, "TopicAlias")
    assert [m.payload for m in got] == [b"al/a", b"al/a", b"al/b"]


def check_shared_subscription():
    a = Client("py-share-a")
    b = Client("py-share-b")
    a.subscribe("$share/g/work")
    b.subscribe("$share/g/work")
    pub = Client("py-share-pub")
    for i in range(6):
        pub.publish("work", str(i), 1)
    time.sleep(0.3)
    total = len(a.messages) + len(b.messages)
    assert total == 6, (len(a.messages), len(b.messages))
    assert a.messages and b.messages


def check_persistent_session():
    expiry = props(PacketTypes.CONNECT, SessionExpiryInterval=60)
    sub = Client("py-durable", clean=False, connect_props=expiry)
    sub.subscribe("durable", 1)
    sub.close()
    pub = Client("py-durable-pub")
    pub.publish("durable", "queued", 1)
    back = Client("py-durable", clean=False, connect_props=expiry)
    assert back.session_present()
    (m,) = back.receive()
    assert m.payload == b"queued"


def check_enhanced_auth_refused():
    c = Client("py-auth", connect_props=props(PacketTypes.CONNECT, AuthenticationMethod="SCRAM-SHA-1"))
    assert c.rc() == 0x8C, c.connack


def check_takeover():
    # paho 1.6 reads a DISCONNECT reason code only when properties follow it, so the 0x8E itself
    # is checked by the libmosquitto tests; here: the old client is closed, the new one works.
    old = Client("py-twin")
    new = Client("py-twin")
    old._wait(lambda: old.disconnect_rc is not None, "the old connection to close")
    new.subscribe("twin")
    new.publish("twin", "x")
    assert new.receive()[0].payload == b"x"


def check_sys_uptime():
    c = Client("py-sys", v5=False)
    c.subscribe("$SYS/broker/uptime")
    (m,) = c.receive()
    assert m.payload.endswith(b" seconds") and m.retain, m.payload


CHECKS = {name[len("check_"):]: fn for name, fn in sorted(globals().items())
          if name.startswith("check_")}


def main():
    global PORT
    PORT = int(sys.argv[1])
    names = sys.argv[2:] or list(CHECKS)
    failed = 0
    for name in names:
        try:
            CHECKS[name]()
            print("ok   " + name)
        except Exception:  # noqa: BLE001 - report and continue
            failed += 1
            print("FAIL " + name)
            traceback.print_exc()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
