"""The TLS files of a run, made with the openssl CLI: a CA, and a server certificate it signs for
127.0.0.1 and localhost. Every TLS listener gets the same certificate; ringmq-bench verifies it
against the CA."""

import os
import subprocess

# --tls-key-type -> openssl req -newkey arguments
KEY_TYPES = {
    "p256": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "rsa2048": ["-newkey", "rsa:2048"],
}
DESCRIPTION = {"p256": "ECDSA P-256", "rsa2048": "RSA 2048"}
SERVER_EXTENSIONS = """\
subjectAltName = IP:127.0.0.1, DNS:localhost
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
"""


def _openssl(args):
    done = subprocess.run(["openssl"] + args, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"openssl {args[0]} failed: {last}")


def make(directory, key_type):
    """Writes ca.crt, server.crt and server.key under `directory`/tls, readable by every user (a
    broker started as root may read them after dropping privileges). Returns {"ca", "cert",
    "key"} paths; raises RuntimeError (or OSError) when openssl fails."""
    tls = os.path.join(directory, "tls")
    os.makedirs(tls, exist_ok=True)
    path = {name: os.path.join(tls, name) for name in
            ("ca.crt", "ca.key", "server.crt", "server.key", "server.csr", "server.ext")}
    newkey = KEY_TYPES[key_type]
    _openssl(["req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=bench-compare CA",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"] + newkey +
             ["-keyout", path["ca.key"], "-out", path["ca.crt"]])
    _openssl(["req", "-new", "-nodes", "-subj", "/CN=localhost"] + newkey +
             ["-keyout", path["server.key"], "-out", path["server.csr"]])
    with open(path["server.ext"], "w", encoding="utf-8") as ext:
        ext.write(SERVER_EXTENSIONS)
    _openssl(["x509", "-req", "-in", path["server.csr"], "-CA", path["ca.crt"], "-CAkey",
              path["ca.key"], "-set_serial", "2", "-days", "2", "-sha256", "-extfile",
              path["server.ext"], "-out", path["server.crt"]])
    for name in ("ca.crt", "server.crt", "server.key"):
        os.chmod(path[name], 0o644)
    for folder in (directory, tls):
        os.chmod(folder, 0o755)
    return {"ca": path["ca.crt"], "cert": path["server.crt"], "key": path["server.key"]}
