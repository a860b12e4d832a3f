#!/bin/sh
# Throwaway PKI for loopback tests and benchmarks, made fresh in DIR:
#   ca.pem          the CA that signed the server certificate (pass as ca_file)
#   server.pem/.key the server certificate for 127.0.0.1, ::1 and localhost
#   other-ca.pem    an unrelated CA (a "wrong CA" for tests)
set -eu
dir=${1:?usage: make_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
curve="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
# shellcheck disable=SC2086
openssl req -x509 $curve -nodes -keyout ca.key -out ca.pem -days 2 \
  -subj "/CN=Encompass Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
# shellcheck disable=SC2086
openssl req $curve -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
cat > server.ext <<'EXT'
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
EXT
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
  -extfile server.ext 2>/dev/null
# shellcheck disable=SC2086
openssl req -x509 $curve -nodes -keyout other-ca.key -out other-ca.pem -days 2 \
  -subj "/CN=Unrelated Test CA" 2>/dev/null
rm -f server.csr server.ext ca.srl
