"""Connects to a broker once with python3-paho-mqtt and prints the CONNACK code.

usage: auth_connect.py PORT 311|5 USER|- PASSWORD|-
Prints "connack 0x00" (or the refusal's code); exits 1 when no CONNACK arrives.
"""

import sys
import threading

import paho.mqtt.client as mqtt


def main():
    port, version, user, password = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    v5 = version == "5"
    client = mqtt.Client(client_id="py-auth", protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311)
    if user != "-":
        client.username_pw_set(user, None if password == "-" else password)
    got = threading.Event()
    codes = []

    def on_connect(_client, _userdata, _flags, rc, _properties=None):
        codes.append(rc.value if v5 else rc)
        got.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", int(port), keepalive=30)
    client.loop_start()
    ok = got.wait(10)
    client.disconnect()
    client.loop_stop()
    if not ok:
        print("no CONNACK")
        return 1
    print("connack 0x%02x" % codes[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
