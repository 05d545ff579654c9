"""Drive a lab BMC with python3-sushy (the Redfish library OpenStack Ironic uses) and print what it read, as JSON.

usage: python3 bmc-sushy.py ROOT_URL USERNAME IMAGE_URL   (the password comes from BMC_PASSWORD)

The lab never sends traffic anywhere else: every socket this process opens is refused unless it goes to the
BMC's own host, which must be a loopback address.
"""

import ipaddress
import json
import os
import socket
import sys
import urllib.parse

root, username, image = sys.argv[1], sys.argv[2], sys.argv[3]
password = os.environ["BMC_PASSWORD"]
bmc_host = urllib.parse.urlsplit(root).hostname or ""
if not ipaddress.ip_address(bmc_host).is_loopback:
    sys.exit(f"refusing to drive {bmc_host}: the lab BMC is on loopback")

_connect = socket.socket.connect


def _lab_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and host != bmc_host:
        raise PermissionError(f"bmc-sushy: connection to {host} refused (only the lab BMC {bmc_host})")
    return _connect(self, address)


socket.socket.connect = _lab_only

import logging  # noqa: E402

import sushy  # noqa: E402  (after the socket guard)

logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="sushy %(levelname)s %(name)s: %(message)s")
from sushy import auth as sushy_auth  # noqa: E402

out = {"steps": []}


def step(name):
    out["steps"].append(name)


# a Redfish session, as Ironic prefers it (its default SessionOrBasicAuth would fall back to Basic silently)
conn = sushy.Sushy(
    f"{root}/redfish/v1",
    auth=sushy_auth.SessionAuth(username=username, password=password),
    verify=False,
)
step("session")
sessions = conn.get_session_service()
out["session_service"] = {"identity": sessions.identity, "name": sessions.name, "timeout": sessions.session_timeout}
members = sessions.sessions.get_members()
out["sessions"] = [{"identity": m.identity, "name": m.name, "username": m.username} for m in members]

step("discovery")

systems = conn.get_system_collection()
out["systems"] = list(systems.members_identities)
system = conn.get_system(out["systems"][0])
out["system"] = {"identity": system.identity, "power_state": str(system.power_state)}

step("boot override")
system.set_system_boot_options(
    target=sushy.BootSource.CD,
    enabled=sushy.BootSourceOverrideEnabled.ONCE,
    mode=sushy.BootSourceOverrideMode.UEFI,
)
system.refresh()
out["boot"] = {
    "target": str(system.boot.target),
    "enabled": str(system.boot.enabled),
    "mode": str(system.boot.mode),
}
system.set_system_boot_source(sushy.BootSource.HDD, enabled=sushy.BootSourceOverrideEnabled.ONCE)
system.refresh()
out["boot_after_source"] = {"target": str(system.boot.target), "enabled": str(system.boot.enabled)}

step("virtual media")
manager = conn.get_manager(list(conn.get_manager_collection().members_identities)[0])
media = manager.virtual_media.get_member(list(manager.virtual_media.members_identities)[0])
out["media_types"] = [str(t) for t in media.media_types]
media.insert_media(image, inserted=True, write_protected=True)
media.refresh()
out["inserted"] = {"inserted": media.inserted, "image": media.image}
media.eject_media()
media.refresh()
out["ejected"] = {"inserted": media.inserted, "image": media.image}

step("reset")
system.reset_system(sushy.ResetType.ON)
system.refresh()
out["power_after_reset"] = str(system.power_state)
system.reset_system(sushy.ResetType.FORCE_OFF)
system.refresh()
out["power_after_off"] = str(system.power_state)

print(json.dumps(out))
