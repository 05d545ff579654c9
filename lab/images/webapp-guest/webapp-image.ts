import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildInitramfs } from '../../../helpers/guest-image/initramfs.ts';
import { virtioModules } from '../../../helpers/guest-image/kernel-modules.ts';

const file = (name: string) => readFileSync(fileURLToPath(new URL(name, import.meta.url)), 'utf8');

/** The ACPI power button ends the guest cleanly (plasmavmc's graceful stop). */
const acpiPowerButton = 'sync\npoweroff -f\n';

/**
 * plasmavmc's tenant VM image: a busybox initramfs whose /init brings up its virtio NIC (the PrismNet port's
 * address from the kernel command line, or 10.0.2.15 on user-mode NAT), serves the web app with httpd on ports 80
 * and 8080, and keeps the app's state in LightningStor, written and read by the VM itself over the network.
 * Markers: webapp.boot.<vm>, webapp.state-loaded.<vm>, webapp.ready.<vm>, webapp.state-written.<vm>,
 * webapp.failed.<vm>.
 */
export function buildWebappGuestImage(): Promise<string> {
  return buildInitramfs({
    name: 'webapp-guest',
    init: file('init.sh'),
    files: {
      '/www/index.html': { content: file('index.html') },
      '/www/cgi-bin/state': { content: file('state.cgi'), mode: 0o755 },
      '/etc/acpi/PWRF/00000080': { content: `#!/bin/sh\n${acpiPowerButton}`, mode: 0o755 },
    },
    modules: [...virtioModules, 'button', 'evdev'],
  });
}
