import { randomBytes } from 'node:crypto';
import { type PlasmavmcPort, type Vm, webappUrl } from '../../contracts/ports/plasmavmc.ts';
import type { BootedTarget } from '../../contracts/target.ts';
import { workRoot } from '../../helpers/proof-root.ts';
import { currentLab } from '../../lab/cluster/current-lab.ts';
import { assertLabAddress } from '../../lab/net/address-guard.ts';
import { driver } from '../../lab/target/driver.ts';
import { parseCommandArgs, UsageError } from '../usage.ts';

const vmBootTimeoutMs = 300_000;
const tag = '[cluster serve-vm-webapp]';
const say = (line: string) => process.stderr.write(`${tag} ${line}\n`);

/**
 * `ucproof cluster serve-vm-webapp [--name NAME]`: the demo web app in a plasmavmc VM on a worker of the running lab
 * (or of a cluster booted for it), its URL — the VM's forward on the worker's lab address — printed on stdout and
 * kept reachable until SIGINT or SIGTERM; then the VM is deleted (and a cluster it booted torn down) and it exits
 * 130.
 */
export async function serveVmWebapp(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { options: { name: { type: 'string' } } });
  const name = values.name ?? `webapp-serve-${randomBytes(3).toString('hex')}`;
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) {
    throw new UsageError(`--name must be lower-case letters, digits and "-", starting with a letter, got "${name}"`);
  }

  let stopRequested: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return say('cleaning up; the VM is being deleted');
    interrupted = true;
    say('interrupted; deleting the VM');
    stopRequested();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let booted: BootedTarget | undefined;
  let vm: Vm | undefined;
  let vmc: PlasmavmcPort | undefined;
  try {
    const running = currentLab(workRoot());
    if (running) {
      process.env.ULTRACLOUD_KEEP_CLUSTER = '1';
      say(`using the running cluster ${running.labId} (${running.subnet})`);
    } else {
      delete process.env.ULTRACLOUD_KEEP_CLUSTER;
      say('no cluster is up: booting one for the web app; it is torn down afterwards');
    }
    booted = await driver.boot(null, { workRoot: workRoot() });
    if (interrupted) return 130;
    const { ports } = await driver.connect(booted.info);
    const worker = booted.info.descriptor.nodes.find((n) => n.role === 'worker');
    if (!worker) throw new Error(`${booted.info.descriptor.name} has no worker node for the VM`);
    if (!ports.plasmavmc) throw new Error(`${booted.info.descriptor.name} binds no plasmavmc`);
    vmc = ports.plasmavmc.at(worker.name);
    say(`creating VM ${name} on ${worker.name}`);
    vm = await vmc.createVm({ name, memoryMiB: 128, diskMiB: 16, start: true });
    const up = await vmc.waitForState(vm.id, 'running', vmBootTimeoutMs);
    if (interrupted) return 130;
    // network safety: the URL is the VM's forward on an address of this lab, never anywhere else
    if (!up.forward) throw new Error(`VM ${name} runs but has no port forward`);
    await assertLabAddress(up.forward.host);
    const url = `${webappUrl(up)}/`;
    say(`VM ${name} (${up.id}) runs on ${up.node} under ${up.accelerator}; Ctrl-C deletes it`);
    process.stdout.write(`${url}\n`);
    // signal listeners hold no event loop open: without this the process would end here, VM and all
    const keepAlive = setInterval(() => {}, 60_000);
    await stopped;
    clearInterval(keepAlive);
    return 130;
  } finally {
    // a VM whose create was answered after an interrupt, or whose answer was lost, is found by its name
    const made = vm ?? (vmc ? await vmc.vm(name).catch(() => null) : null);
    if (made && vmc) {
      await vmc.deleteVm(made.id);
      const left = await vmc.vm(name);
      say(left ? `VM ${name} is still listed after its delete` : `VM ${name} deleted`);
    }
    if (booted) await booted.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
