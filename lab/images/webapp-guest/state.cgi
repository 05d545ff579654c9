#!/bin/sh
# The web app's state: a counter and a message, kept on the raw virtio disk.
# Block 0 holds "UCPSTATE1 <counter> <message-bytes> <boots>", the message starts at block 1. Every write is fsynced.
disk=/dev/vda
read_header() {
  set -- $(dd if=$disk bs=512 count=1 2>/dev/null | head -n 1 | tr -d '\000')
  if [ "$1" = UCPSTATE1 ]; then counter=$2 length=$3 boots=$4; else counter=0 length=0 boots=0; fi
}
message() { [ "$length" -gt 0 ] && dd if=$disk bs=512 skip=1 2>/dev/null | head -c "$length"; }
write_state() { # $1: file holding the message
  printf 'UCPSTATE1 %s %s %s\n' "$counter" "$(wc -c < "$1")" "$boots" > /tmp/header
  dd if=/tmp/header of=$disk bs=512 count=1 conv=sync,notrunc,fsync 2>/dev/null &&
    dd if="$1" of=$disk bs=512 seek=1 conv=sync,notrunc,fsync 2>/dev/null && sync
}
json() {
  printf '{"counter":%s,"boots":%s,"host":"%s","message":"' "$counter" "$boots" "$(hostname)"
  message | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\n\r'
  printf '"}\n'
}
read_header
case "$1" in
  boot)
    boots=$((boots + 1)); message > /tmp/keep; write_state /tmp/keep; exit 0 ;;
  summary)
    echo "counter=$counter,boots=$boots"; exit 0 ;;
esac
if [ "$REQUEST_METHOD" = POST ]; then
  head -c "${CONTENT_LENGTH:-0}" > /tmp/body
  counter=$((counter + 1))
  if write_state /tmp/body; then
    length=$(wc -c < /tmp/body)
    echo "ULTRACLOUD_MARKER webapp.state-written.$(hostname) counter=$counter" > /dev/console
  else
    printf 'Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nstate write failed\n'; exit 0
  fi
fi
printf 'Content-Type: application/json\r\n\r\n'
json
