"""Checks of ringmq's --acl-file with python3-paho-mqtt and mosquitto_pub (MQTT 3.1.1 and 5.0).

Usage: acl_checks.py PORT [CHECK...]. The broker must run with the rules of ACL_FILE below (the
test driver writes them). Prints one line per check and exits non-zero if any failed.

A message that must not arrive is always followed by one that must, from the same publisher to
the same subscriber: once the second is in, the first would have been too, so no check waits on
a timer to prove an absence.
"""
import subprocess
import sys
import threading
import traceback

import paho.mqtt.client as mqtt

PORT = 0
TIMEOUT = 10.0

ACL_FILE = """\
# anonymous clients
topic read public/#
topic write public/anon

user alice
topic readwrite alice/#
topic read sensors/#
topic write sensors/#
topic deny sensors/secret
topic read $SYS/#

user bob
topic readwrite sensors/#
topic write will/#
topic write bob/#

user spy
topic read #

pattern readwrite devices/%c/#
pattern read users/%u/inbox
"""


class Client:
    """A paho client with a background loop and a queue of received messages."""

    def __init__(self, client_id, username=None, v5=True, will=None):
        self.v5 = v5
        protocol = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
        self.c = mqtt.Client(client_id, protocol=protocol, reconnect_on_failure=False)
        self.messages = []
        self.cond = threading.Condition()
        self.connack = None
        self.acks = {}
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.on_subscribe = self._on_subscribe
        if username is not None:
            self.c.username_pw_set(username)
        if will:
            self.c.will_set(*will)
        self.c.connect("127.0.0.1", PORT, 60)
        self.c.loop_start()
        self._wait(lambda: self.connack is not None, "CONNACK")
        assert self._rc() == 0, self.connack

    def _on_connect(self, client, userdata, flags, rc, properties=None):
        with self.cond:
            self.connack = rc
            self.cond.notify_all()

    def _on_message(self, client, userdata, message):
        with self.cond:
            self.messages.append(message)
            self.cond.notify_all()

    def _on_subscribe(self, client, userdata, mid, granted, properties=None):
        with self.cond:
            self.acks[mid] = [g.value if hasattr(g, "value") else g for g in granted]
            self.cond.notify_all()

    def _wait(self, predicate, what, timeout=TIMEOUT):
        with self.cond:
            if not self.cond.wait_for(predicate, timeout):
                raise AssertionError("timed out waiting for " + what)

    def _rc(self):
        return self.connack.value if hasattr(self.connack, "value") else self.connack

    def subscribe(self, filters, qos=1):
        """SUBACK codes, one per filter."""
        _, mid = self.c.subscribe([(f, qos) for f in filters])
        self._wait(lambda: mid in self.acks, "SUBACK")
        return self.acks[mid]

    def publish(self, topic, payload, qos=1, retain=False):
        info = self.c.publish(topic, payload, qos, retain)
        info.wait_for_publish(TIMEOUT)
        assert info.is_published(), "publish not completed"

    def receive_until(self, payload):
        """Every message up to and including the first carrying `payload`, as (topic, payload)."""
        def arrived():
            return any(m.payload == payload.encode() for m in self.messages)
        self._wait(arrived, "a message carrying " + payload)
        with self.cond:
            index = next(i for i, m in enumerate(self.messages) if m.payload == payload.encode())
            out, self.messages = self.messages[:index + 1], self.messages[index + 1:]
        return [(m.topic, m.payload.decode()) for m in out]

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()

    def drop(self):
        """Closes the socket without DISCONNECT: the will goes out."""
        self.c.loop_stop()
        self.c.socket().close()


def mosquitto_pub(topic, qos, v5, username=None, client_id="acl-pub"):
    argv = ["mosquitto_pub", "-p", str(PORT), "-t", topic, "-m", "x", "-q", str(qos), "-V",
            "mqttv5" if v5 else "mqttv311", "-i", client_id, "-d"]
    if username:
        argv += ["-u", username]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
    return done.returncode, done.stdout + done.stderr


def check_subscribe_codes():
    v5 = Client("acl-sub5", "alice")
    codes = v5.subscribe(["alice/#", "other/#", "sensors/secret", "sensors/+", "#"])
    assert codes == [1, 0x87, 0x87, 1, 0x87], codes
    v311 = Client("acl-sub3", "alice", v5=False)
    codes = v311.subscribe(["alice/#", "other/#", "sensors/secret", "sensors/+"])
    assert codes == [1, 0x80, 0x80, 1], codes
    # The refused filters took nothing with them: the granted ones deliver.
    pub = Client("acl-sub-pub", "alice")
    pub.publish("alice/x", "granted")
    assert v5.receive_until("granted") == [("alice/x", "granted")]
    assert v311.receive_until("granted") == [("alice/x", "granted")]


def check_publish_denied_v5():
    spy = Client("acl-spy", "spy")
    spy.subscribe(["#"])
    for qos, ack in ((1, "PUBACK"), (2, "PUBREC")):
        code, out = mosquitto_pub("other/x", qos, True, "alice")
        # mosquitto_pub names the reason code of a failed PUBACK / PUBREC (0x87).
        assert "received " + ack in out and "failed: Not authorized" in out, out
    code, out = mosquitto_pub("other/x", 0, True, "alice")
    assert code == 0, out
    code, out = mosquitto_pub("alice/ok", 1, True, "alice")
    assert code == 0 and "RC:0" in out, out
    assert spy.receive_until("x") == [("alice/ok", "x")]


def check_publish_denied_v311():
    spy = Client("acl-spy", "spy")
    spy.subscribe(["#"])
    for qos in (0, 1, 2):
        code, out = mosquitto_pub("other/x", qos, False, "alice")
        assert code == 0, out  # accepted, then dropped
    pub = Client("acl-pub3", "alice", v5=False)
    pub.publish("other/y", "denied", 1)
    pub.publish("alice/ok", "allowed", 1)  # the same connection is still served
    assert spy.receive_until("allowed") == [("alice/ok", "allowed")]


def check_wildcard_crossing_denied_topic():
    alice = Client("acl-alice", "alice")
    assert alice.subscribe(["sensors/#"]) == [1]
    spy = Client("acl-spy", "spy")
    spy.subscribe(["sensors/#"])
    bob = Client("acl-bob", "bob")
    for topic in ("sensors/a", "sensors/secret", "sensors/b"):
        bob.publish(topic, topic, 1)
    bob.publish("sensors/c", "end", 0)
    assert alice.receive_until("end") == [("sensors/a", "sensors/a"), ("sensors/b", "sensors/b"),
                                          ("sensors/c", "end")]
    assert len(spy.receive_until("end")) == 4


def check_shared_subscription_filters_denied_topic():
    alice = Client("acl-share", "alice")
    assert alice.subscribe(["$share/g/sensors/#"]) == [1]
    bob = Client("acl-bob", "bob")
    bob.publish("sensors/secret", "secret", 1)
    bob.publish("sensors/a", "open", 1)
    assert alice.receive_until("open") == [("sensors/a", "open")]


def check_retained_denied_not_sent_on_subscribe():
    bob = Client("acl-bob", "bob")
    bob.publish("sensors/secret", "hidden", 1, retain=True)
    bob.publish("sensors/open", "shown", 1, retain=True)
    alice = Client("acl-alice", "alice")
    assert alice.subscribe(["sensors/#"]) == [1]
    bob.publish("sensors/zz", "live", 1)
    got = alice.receive_until("live")
    assert ("sensors/secret", "hidden") not in got, got
    assert got == [("sensors/open", "shown"), ("sensors/zz", "live")], got
    spy = Client("acl-spy", "spy")  # the retained message is there, for those who may read it
    spy.subscribe(["sensors/secret"])
    assert spy.receive_until("hidden") == [("sensors/secret", "hidden")]
    for topic in ("sensors/secret", "sensors/open"):
        bob.publish(topic, "", 1, retain=True)


def check_patterns_client_id_and_username():
    spy = Client("acl-spy", "spy")
    spy.subscribe(["devices/#"])
    dev = Client("dev1")  # anonymous: %c patterns apply, %u ones do not
    assert dev.subscribe(["devices/dev1/#", "devices/dev2/#", "users/+/inbox"]) == [1, 0x87, 0x87]
    dev.publish("devices/dev2/x", "other device", 1)
    dev.publish("devices/dev1/x", "own device", 1)
    assert spy.receive_until("own device") == [("devices/dev1/x", "own device")]
    bob = Client("bob-phone", "bob")
    assert bob.subscribe(["users/bob/inbox", "users/alice/inbox", "devices/bob-phone/in"]) == \
        [1, 0x87, 1]
    writer = Client("bob-phone-2", "bob")
    writer.publish("devices/bob-phone-2/out", "self", 1)
    assert spy.receive_until("self") == [("devices/bob-phone-2/out", "self")]


def check_anonymous_rules():
    anon = Client("acl-anon")
    assert anon.subscribe(["public/#", "alice/#"]) == [1, 0x87]
    anon.publish("public/other", "denied", 1)  # read only
    anon.publish("public/anon", "allowed", 1)
    assert anon.receive_until("allowed") == [("public/anon", "allowed")]
    # A named user does not get the anonymous rules.
    alice = Client("acl-alice", "alice")
    assert alice.subscribe(["public/#"]) == [0x87]


def check_will_on_denied_topic_not_published():
    spy = Client("acl-spy", "spy")
    spy.subscribe(["#"])
    denied = Client("acl-will-1", "alice", will=("sensors/secret", "denied will", 1))
    denied.drop()
    allowed = Client("acl-will-2", "bob", will=("will/bob", "allowed will", 1))
    allowed.drop()
    assert spy.receive_until("allowed will") == [("will/bob", "allowed will")]


def check_denials_counted_in_sys():
    alice = Client("acl-sys", "alice")
    alice.subscribe(["other/#"])
    alice.publish("other/x", "denied", 1)
    assert alice.subscribe(["$SYS/broker/acl/denied"]) == [1]

    def counted():
        return any(m.topic == "$SYS/broker/acl/denied" and int(m.payload) >= 2
                   for m in alice.messages)
    alice._wait(counted, "$SYS/broker/acl/denied >= 2")


CHECKS = {name[len("check_"):]: fn for name, fn in sorted(globals().items())
          if name.startswith("check_")}


def main():
    global PORT
    if sys.argv[1:] == ["--print-acl"]:
        sys.stdout.write(ACL_FILE)
        return
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
