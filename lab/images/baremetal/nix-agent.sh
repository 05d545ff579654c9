#!/bin/sh
# The lab's nix-agent: fetch the desired system from the deployer, activate it when this disk holds that system,
# and report the observed state back.
. /etc/ultracloud/common.sh
. /etc/ultracloud/node.env
auth="Authorization: Bearer $UC_BOOTSTRAP_TOKEN"
api="$UC_DEPLOYER_URL/api/v1/nodes/$UC_NODE"
report() {
  wget -q -O /dev/null --header "$auth" --header 'Content-Type: application/json' \
    --post-data "{\"target_system\":\"$1\",\"status\":\"$2\",\"current_system\":\"$(cat /etc/ultracloud/system-id)\"}" \
    "$api/observed-system" 2>/dev/null
}
tries=0
while ! wget -q -O /tmp/desired.json --header "$auth" "$api/desired-system" 2>/tmp/agent.err; do
  tries=$((tries + 1))
  [ "$tries" -ge 30 ] && { marker post-install.failed.desired-system "$(tail -n 1 /tmp/agent.err)"; exit 1; }
  sleep 1
done
desired=$(json_field target_system < /tmp/desired.json)
if [ "$desired" = "$(cat /etc/ultracloud/system-id)" ] && [ -d "$desired" ]; then
  mkdir -p /run && ln -sfn "$desired" /run/current-system
  report "$desired" active && marker desired-system-active "system=$desired" ||
    marker post-install.failed.report "deployer refused the observed state"
else
  report "$desired" failed
  marker post-install.failed.activation "desired=$desired installed=$(cat /etc/ultracloud/system-id)"
fi
