# The local server of the client benchmarks, sourced by bench/run_*.sh:
#   nginx_start DIR CONNS NOFILE   makes a throwaway CA and a server certificate
#                                  for 127.0.0.1 in DIR (openssl CLI), starts
#                                  nginx (bench/nginx.conf) on three free ports
#                                  and waits until it answers; sets nginx_pid,
#                                  url (plain), tls_url (TLS 1.3, HTTP/1.1),
#                                  h2_url (TLS 1.3, HTTP/2), cafile
#   nginx_accepts                  connections nginx has accepted so far
#   nginx_stop                     stops it
# The CA lives as long as DIR: it signs one certificate and is never trusted
# by anything but the bench's clients (--cafile, NODE_EXTRA_CA_CERTS).
nginx_pid=

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

make_ca() {
  d=$1
  # RSA 2048 as AWS endpoints present; TLS 1.3 only on the server side.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=uvaws bench throwaway CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
    "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$d/server.ext"
  openssl x509 -req -days 2 -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
    -CAcreateserial -extfile "$d/server.ext" -out "$d/server.pem" 2>/dev/null
  rm -f "$d/ca.key" "$d/server.csr"
}

nginx_start() {
  dir=$1
  make_ca "$dir"
  mkdir -p "$dir/www"
  printf '%s' '{"Item":{"id":{"S":"user-000042"},"name":{"S":"Alice"},"visits":{"N":"42"}}}' \
    >"$dir/www/getitem.json"
  cafile="$dir/ca.pem"
  port=$(free_port)
  tls_port=$(free_port)
  h2_port=$(free_port)
  sed -e "s|@PORT@|$port|g; s|@TLS_PORT@|$tls_port|g; s|@H2_PORT@|$h2_port|g" \
      -e "s|@DIR@|$dir|g; s|@CONNS@|$2|g; s|@NOFILE@|$3|g" \
      -e "s|@USER@|$(id -un)|g; s|@GROUP@|$(id -gn)|g" "$bench/nginx.conf" >"$dir/nginx.conf"
  nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" &
  nginx_pid=$!
  url="http://127.0.0.1:$port"
  tls_url="https://127.0.0.1:$tls_port"
  h2_url="https://127.0.0.1:$h2_port"
  i=0
  until python3 -c "
import ssl, urllib.request as u
ctx = ssl.create_default_context(cafile='$cafile')
for x in ('$url/', '$tls_url/', '$h2_url/'):
    u.urlopen(x, data=b'{}', timeout=1, context=ctx if x.startswith('https') else None)
" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 50 ]; then
      echo "nginx did not start:" >&2
      cat "$dir/error.log" >&2
      exit 1
    fi
    sleep 0.1
  done
}

# stub_status's "accepts": connections accepted so far, counting the one that asks.
nginx_accepts() {
  python3 -c "
import urllib.request as u
t = u.urlopen('$url/nginx_status', timeout=5).read().decode().split()
print(int(t[t.index('requests') + 1]))"
}

nginx_stop() {
  if [ -n "$nginx_pid" ]; then
    kill "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=
  fi
}
