#!/bin/sh
# The web app's state: a counter, the boot count and a message.
# With ucp.store/ucp.bucket on the kernel command line the state lives in LightningStor, as the object
# vms/<vm>/state of that bucket ("UCPSTATE2 <counter> <boots>", then the message line): the VM writes every change
# there itself (an HTTP PUT from its own address) and reads it back from there at boot, never from its disk;
# /tmp/webapp-state holds the current state in RAM. Without them the state is kept on the raw virtio disk /dev/vda
# (block 0: "UCPSTATE1 <counter> <message-bytes> <boots>", the message from block 1, every write fsynced).
. /etc/webapp.conf
cache=/tmp/webapp-state
disk=/dev/vda
object=/v1/buckets/$bucket/objects/vms/$name/state

store() { # store METHOD PATH [BODY-FILE]: prints the HTTP status; the body is left in /tmp/store-body.$$
  {
    if [ -n "$3" ]; then
      printf '%s %s HTTP/1.0\r\nHost: %s\r\nContent-Type: application/octet-stream\r\nContent-Length: %s\r\n\r\n' \
        "$1" "$2" "$store_host" "$(wc -c < "$3")"
      cat "$3"
    else
      printf '%s %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$1" "$2" "$store_host"
    fi
  } | nc -w 10 "$store_host" "$store_port" | tr -d '\r' > /tmp/store-resp.$$
  sed '1,/^$/d' /tmp/store-resp.$$ > /tmp/store-body.$$
  head -n 1 /tmp/store-resp.$$ | cut -d ' ' -f 2
  rm -f /tmp/store-resp.$$
}
read_state() {
  if [ -n "$store_host" ]; then
    set -- $(head -n 1 $cache 2>/dev/null)
    if [ "$1" = UCPSTATE2 ]; then counter=$2 boots=$3; else counter=0 boots=0; fi
    message=$(sed -n 2p $cache 2>/dev/null)
  else
    set -- $(dd if=$disk bs=512 count=1 2>/dev/null | head -n 1 | tr -d '\000')
    if [ "$1" = UCPSTATE1 ]; then counter=$2 length=$3 boots=$4; else counter=0 length=0 boots=0; fi
    message=''
    [ "$length" -gt 0 ] && message=$(dd if=$disk bs=512 skip=1 2>/dev/null | head -c "$length")
  fi
}
persist() { # write the state; in LightningStor mode print the new version id (or why it failed)
  if [ -z "$store_host" ]; then
    printf '%s' "$message" > /tmp/msg.$$
    printf 'UCPSTATE1 %s %s %s\n' "$counter" "$(wc -c < /tmp/msg.$$)" "$boots" > /tmp/header.$$
    dd if=/tmp/header.$$ of=$disk bs=512 count=1 conv=sync,notrunc,fsync 2>/dev/null &&
      dd if=/tmp/msg.$$ of=$disk bs=512 seek=1 conv=sync,notrunc,fsync 2>/dev/null && sync
    ok=$?
    rm -f /tmp/msg.$$ /tmp/header.$$
    [ $ok = 0 ] || echo "disk write failed"
    return $ok
  fi
  printf 'UCPSTATE2 %s %s\n%s\n' "$counter" "$boots" "$message" > /tmp/next.$$
  status=$(store PUT "$object" /tmp/next.$$)
  version=$(sed -n 's/.*"versionId":"\([^"]*\)".*/\1/p' /tmp/store-body.$$)
  rm -f /tmp/store-body.$$
  if [ "$status" != 200 ] || [ -z "$version" ]; then
    rm -f /tmp/next.$$
    echo "PUT $store_host:$store_port$object answered ${status:-nothing}"
    return 1
  fi
  mv /tmp/next.$$ $cache
  echo "$version"
}
json() {
  printf '{"counter":%s,"boots":%s,"host":"%s","version":"%s","message":"' "$counter" "$boots" "$(hostname)" "$1"
  printf '%s' "$message" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\n\r'
  printf '"}\n'
}

case "$1" in
  boot)
    if [ -n "$store_host" ]; then
      # the state as LightningStor holds it (none yet: a fresh app), never anything kept in this VM
      tries=0
      until status=$(store GET "$object") && [ "$status" = 200 ] || [ "$status" = 404 ]; do
        tries=$((tries + 1))
        [ $tries -ge 30 ] && { echo "GET $store_host:$store_port$object answered ${status:-nothing}"; exit 1; }
        sleep 2
      done
      if [ "$status" = 200 ]; then mv /tmp/store-body.$$ $cache; else rm -f /tmp/store-body.$$ $cache; fi
    fi
    read_state
    boots=$((boots + 1))
    version=$(persist) || { echo "$version"; exit 1; }
    echo "ULTRACLOUD_MARKER webapp.state-loaded.$name counter=$counter boots=$boots version=$version" > /dev/console
    exit 0 ;;
  summary)
    read_state; echo "counter=$counter,boots=$boots"; exit 0 ;;
esac
read_state
version=''
if [ "$REQUEST_METHOD" = POST ]; then
  message=$(head -c "${CONTENT_LENGTH:-0}" | tr -d '\n\r')
  counter=$((counter + 1))
  if version=$(persist); then
    echo "ULTRACLOUD_MARKER webapp.state-written.$name counter=$counter version=$version" > /dev/console
  else
    printf 'Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nstate write failed: %s\n' "$version"
    exit 0
  fi
fi
printf 'Content-Type: application/json\r\n\r\n'
json "$version"
