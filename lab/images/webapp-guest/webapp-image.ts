import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildInitramfs } from '../../../helpers/guest-image/initramfs.ts';
import { virtioModules } from '../../../helpers/guest-image/kernel-modules.ts';

const file = (name: string) => readFileSync(fileURLToPath(new URL(name, import.meta.url)), 'utf8');

/** The ACPI power button ends the guest cleanly (plasmavmc's graceful stop). */
const acpiPowerButton = 'sync\npoweroff -f\n';

/**
 * plasmavmc's tenant VM image: a busybox initramfs whose /init brings up virtio disk and network (10.0.2.15 on
 * user-mode NAT), serves the web app with httpd on port 80, and keeps the app's state on the attached virtio
 * disk. Markers: webapp.boot.<vm>, webapp.ready.<vm>, webapp.state-written.<vm>, webapp.failed.<vm>.
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
