import { readFileSync } from 'node:fs';
import { guestKernel } from '../../../helpers/guest-image/guest-kernel.ts';
import { buildInitramfs } from '../../../helpers/guest-image/initramfs.ts';
import { virtioModules } from '../../../helpers/guest-image/kernel-modules.ts';
import { rootLoginFiles } from '../../images/dropbear-files.ts';
import { labVmSshKeyPath, slirpGuestFiles } from '../vm-runner-guest.ts';

/** The 9p shares the quickstart guest mounts, by mount tag: the host's /usr, /nix/store, the project, the run's config. */
export const quickstartShares = {
  usr: 'ucp-host-usr',
  store: 'ucp-host-store',
  project: 'ucp-project',
  config: 'ucp-config',
  logs: 'ucp-logs',
  nodeCache: 'ucp-node-cache',
} as const;

/**
 * PID 1 of the single-node quickstart VM the reference flake's `run-single-node-quickstart-vm` boots. The guest
 * runs the five reference services itself: it mounts the host's read-only userland (/usr, the Nix store, the
 * project tree with its Node) over 9p, keeps its state in its own tmpfs, brings up the slirp NIC and SSH, and starts
 * lab/target/quickstart/guest-services.ts, which runs every service the system's node.json names and copies their
 * markers to the console. Configuration comes from the run's config share (guest.json) and the kernel command line.
 */
const init = `#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs tmpfs /dev/shm
while read -r m; do [ -n "$m" ] && insmod "$m" 2>/dev/null; done < /etc/modules.order
arg() { sed -n "s/.*ultracloud\\\\.$1=\\\\([^ ]*\\\\).*/\\\\1/p" /proc/cmdline; }
host=$(arg hostname)
hostname "\${host:-nixos}"
# fault no-boot-marker (negative tests): the guest boots without saying so
[ "$(arg fault)" = no-boot-marker ] || echo "ULTRACLOUD_MARKER node.boot.\${host:-nixos}"
p9() { mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro "$1" "$2"; }
mkdir -p /run/ucp-config
if ! p9 ${quickstartShares.config} /run/ucp-config; then
  echo "ULTRACLOUD_MARKER quickstart.failed no config share"; poweroff -f
fi
project=$(cat /run/ucp-config/project)
p9 ${quickstartShares.usr} /usr || echo "ULTRACLOUD_MARKER quickstart.failed cannot mount the host's /usr"
rm -rf /lib /lib64 && ln -s usr/lib /lib && ln -s usr/lib64 /lib64
# Debian's command names (iptables, ...) are symlinks through /etc/alternatives; the guest's own pick legacy iptables
mkdir -p /etc/alternatives
for n in iptables iptables-restore iptables-save; do ln -sfn "/usr/sbin/\${n%%-*}-legacy\${n#iptables}" "/etc/alternatives/$n"; done
mkdir -p /nix/store "$project"
p9 ${quickstartShares.store} /nix/store || echo "ULTRACLOUD_MARKER quickstart.failed cannot mount the Nix store"
p9 ${quickstartShares.project} "$project" || echo "ULTRACLOUD_MARKER quickstart.failed cannot mount the project"
mkdir -p /var /etc/ultracloud && mount -t tmpfs -o size=256m tmpfs /var && mkdir -p /var/log/ultracloud /var/lib /var/tmp
mount -t 9p -o trans=virtio,version=9p2000.L ${quickstartShares.logs} /var/log/ultracloud || echo "ULTRACLOUD_MARKER quickstart.failed cannot mount the log share"
export TMPDIR=/var/tmp
# Node's compile cache, kept on the host across boots: a second boot skips compiling the services again
mkdir -p /var/cache/node && mount -t 9p -o trans=virtio,version=9p2000.L ${quickstartShares.nodeCache} /var/cache/node && export NODE_COMPILE_CACHE=/var/cache/node
echo "127.0.0.1 localhost \${host:-nixos}" > /etc/hosts
acpid -c /etc/acpi -l /run/acpid.log
ip link set lo up
ip link set eth0 up && udhcpc -i eth0 -n -q -t 10 -T 1 -s /etc/udhcpc.script >/dev/null 2>&1
mkdir -p /etc/dropbear
/usr/sbin/dropbear -R -s -p 22 -E 2>/var/log/dropbear.log
system=$(arg system)
[ -n "$system" ] && ln -sfn "$system" /run/current-system
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
"$(cat /run/ucp-config/node)" "$project/lab/target/quickstart/guest-services.ts" /run/ucp-config/guest.json "\${host:-nixos}" > /dev/console 2>&1 &
echo "\${host:-nixos} login: "
while true; do sleep 3600; done
`;

/** Kernel and initramfs for the quickstart VM (built once, cached by content); root logs in with the lab VM key. */
export async function quickstartGuest(): Promise<{ kernel: string; initrd: string; sshKeyPath: string }> {
  const sshKeyPath = labVmSshKeyPath();
  const publicKey = readFileSync(`${sshKeyPath}.pub`, 'utf8');
  const initrd = await buildInitramfs({
    name: 'single-node-quickstart',
    init,
    // the Linux bridge of prismnet's tenant networks, legacy iptables and the matches its security-group rules use
    modules: [
      ...virtioModules,
      '9p',
      '9pnet_virtio',
      'button',
      'evdev',
      'bridge',
      'ip_tables',
      'iptable_filter',
      'xt_comment',
      'xt_tcpudp',
    ],
    files: {
      ...rootLoginFiles(publicKey),
      ...slirpGuestFiles,
      // what /usr/lib/ssl/openssl.cnf points to: enough for \`openssl req -subj\` (the host's /etc/ssl stays out)
      '/etc/ssl/openssl.cnf': { content: '[req]\ndistinguished_name = dn\n[dn]\n' },
    },
  });
  return { kernel: guestKernel().vmlinuz, initrd, sshKeyPath };
}
