import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guestKernel, imageCacheDir } from '../../helpers/guest-image/guest-kernel.ts';
import { buildInitramfs } from '../../helpers/guest-image/initramfs.ts';
import { virtioModules } from '../../helpers/guest-image/kernel-modules.ts';
import { generateSshKeyPair } from '../../helpers/ssh-keys.ts';
import { dropbearFiles } from '../images/dropbear-files.ts';

/**
 * The guest the reference flake's VM runners boot (its runner contract: ULTRACLOUD_LAB_GUEST_KERNEL and
 * ULTRACLOUD_LAB_GUEST_INITRD). The lab kernel with a busybox initramfs that takes its host name from
 * `ultracloud.hostname=` (set by each node's runner), prints `ULTRACLOUD_MARKER node.boot.<host>`, brings up the
 * slirp NIC and serves SSH (dropbear, root with the VM key) and powers off on the ACPI power button.
 */
const init = `#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
while read -r m; do [ -n "$m" ] && insmod "$m" 2>/dev/null; done < /etc/modules.order
host=$(sed -n 's/.*ultracloud\\.hostname=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
hostname "\${host:-nixos}"
echo "ULTRACLOUD_MARKER node.boot.\${host:-nixos}"
acpid -c /etc/acpi -l /run/acpid.log
ip link set lo up
ip link set eth0 up && udhcpc -i eth0 -n -q -t 10 -T 1 -s /etc/udhcpc.script >/dev/null 2>&1
mkdir -p /etc/dropbear
/usr/sbin/dropbear -R -s -p 22 -E 2>/run/dropbear.log
echo "\${host:-nixos} login: "
while true; do sleep 3600; done
`;

const udhcpcScript = `#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "\${router%% *}" dev "$interface"
    ;;
esac
exit 0
`;

/** What a slirp guest's init uses: udhcpc's lease script, and the power button (QMP system_powerdown) ending it. */
export const slirpGuestFiles = {
  '/etc/udhcpc.script': { content: udhcpcScript, mode: 0o755 },
  '/etc/acpi/PWRF/00000080': { content: '#!/bin/sh\nsync\npoweroff -f\n', mode: 0o755 },
};

/** The key root logs in with on the lab's VM nodes: generated once beside the image cache. */
export function labVmSshKeyPath(): string {
  const dir = join(imageCacheDir(), 'vm-cluster-ssh');
  const priv = join(dir, 'id_ed25519');
  if (!existsSync(priv) || !existsSync(`${priv}.pub`)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keys = generateSshKeyPair('ultracloud-vm-cluster-lab');
    writeFileSync(priv, keys.private, { mode: 0o600 });
    writeFileSync(`${priv}.pub`, `${keys.public}\n`);
  }
  return priv;
}

/** Kernel and initramfs for the reference flake's `run-<host>-vm` (built once, cached by content). */
export async function labVmGuest(): Promise<{ kernel: string; initrd: string; sshKeyPath: string }> {
  const sshKeyPath = labVmSshKeyPath();
  const publicKey = readFileSync(`${sshKeyPath}.pub`, 'utf8');
  const initrd = await buildInitramfs({
    name: 'vm-runner-node',
    init,
    modules: [...virtioModules, 'button', 'evdev'],
    files: {
      ...(await dropbearFiles(publicKey)),
      ...slirpGuestFiles,
    },
  });
  return { kernel: guestKernel().vmlinuz, initrd, sshKeyPath };
}
