#!/usr/bin/env bash
# Writes a throw-away PKI for the TLS tests into DIR (created if missing):
#   ca.pem ca.key              the test CA
#   server.pem server.key      CN=localhost, SAN DNS:localhost IP:127.0.0.1, signed by the CA
#   server2.pem server2.key    the same names, CN=reloaded.localhost (to see a reload take effect)
#   alice.pem alice.key        client, CN=alice
#   bob.pem bob.key            client without CN, SAN DNS:bob.example
#   expired.pem expired.key    client, CN=expired, valid only in 2020
#   revoked.pem revoked.key    client, CN=revoked, listed in crl.pem
#   crl.pem                    the CA's CRL (revoked.pem)
#   rogue-ca.pem rogue.pem rogue.key   another CA and a client it signed (CN=alice)
#   broken.pem                 not a certificate
# Usage: make_test_certs.sh DIR
set -euo pipefail
dir="$1"
mkdir -p "${dir}"
cd "${dir}"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

cat > ca.cnf <<'CNF'
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = .
database = index.txt
new_certs_dir = newcerts
serial = serial
crlnumber = crlnumber
default_md = sha256
default_days = 3650
default_crl_days = 3650
policy = any
unique_subject = no
copy_extensions = copy
[ any ]
commonName = optional
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ client ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = clientAuth
[ server ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF
mkdir -p newcerts
: > index.txt
echo 1000 > serial
echo 1000 > crlnumber

make_ca() {  # make_ca NAME CN
  key "$1.key"
  openssl req -new -x509 -key "$1.key" -out "$1.pem" -days 3650 -subj "/CN=$2" \
    -config ca.cnf -extensions ca_ext 2>/dev/null
}

sign() {  # sign NAME SUBJECT EXTENSION [CA] [ca args...]
  local name="$1" subject="$2" ext="$3" ca="${4:-ca}"
  shift 4 || shift $#
  key "${name}.key"
  openssl req -new -key "${name}.key" -out "${name}.csr" -subj "${subject}" -config ca.cnf \
    2>/dev/null
  openssl ca -batch -notext -config ca.cnf -cert "${ca}.pem" -keyfile "${ca}.key" \
    -extensions "${ext}" -in "${name}.csr" -out "${name}.pem" "$@" 2>/dev/null
}

make_ca ca "ringmq test CA"
sign server "/CN=localhost" server ca
sign server2 "/CN=reloaded.localhost" server ca
sign alice "/CN=alice" client ca
printf '[ bob ]\nbasicConstraints = CA:FALSE\nextendedKeyUsage = clientAuth\nsubjectAltName = DNS:bob.example\n' >> ca.cnf
sign bob "/" bob ca
sign expired "/CN=expired" client ca -startdate 20200101000000Z -enddate 20200102000000Z
sign revoked "/CN=revoked" client ca
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -revoke revoked.pem 2>/dev/null
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -gencrl -out crl.pem 2>/dev/null

make_ca rogue-ca "rogue CA"
sign rogue "/CN=alice" client rogue-ca

echo "this is not a certificate" > broken.pem
rm -f ./*.csr
