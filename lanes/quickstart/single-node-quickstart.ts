import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ProductSurface,
  type QuickstartTarget,
  type QuickstartVm,
  quickstartServices,
} from '../../contracts/quickstart-target.ts';
import { defineLane, type LaneContext, type LaneDefinition } from '../../harness/define.ts';
import { formatEnvironment } from '../../helpers/environment.ts';
import { MarkerFailureError, MarkerTimeoutError, waitForMarkers } from '../../helpers/markers.ts';
import { probeAccelerator } from '../../helpers/qemu-accelerator.ts';

/** The rollout stack the seed keeps off the trial surface. */
export const rolloutStack = ['deployer', 'nix-agent', 'node-agent', 'fleet-scheduler'] as const;

/** The operations the lane's core-behaviour checks call inside the guest. */
export const quickstartOperations = [
  'chainfire.put',
  'chainfire.get',
  'flaredb.migrate',
  'flaredb.execute',
  'flaredb.query',
  'iam.bootstrap',
  'iam.issueToken',
  'iam.verifyToken',
  'prismnet.createNetwork',
  'prismnet.networks',
  'plasmavmc.worker',
] as const;

type Ctx = LaneContext<QuickstartTarget>;

export interface QuickstartOptions {
  /** how long the VM may take to print its boot marker (default 120 s under KVM, 300 s under TCG) */
  markerTimeoutMs?: number;
  /** how long the five services may take to answer healthy inside the guest after boot (default 180 s / 420 s) */
  healthTimeoutMs?: number;
}

/**
 * single-node-quickstart: boot the single-node VM through the target's generated NixOS VM runner in real QEMU (KVM
 * when it works, TCG otherwise), wait for its boot marker, and from inside the guest check that chainfire, flaredb,
 * iam, prismnet and plasmavmc are healthy and do their core work, and that the shipped product-surface manifest
 * holds the single-node components and none of the rollout stack.
 */
export function quickstartLane(
  name: 'single-node-quickstart' | 'single-node-trial',
  options: QuickstartOptions = {},
): LaneDefinition<QuickstartTarget> {
  return defineLane<QuickstartTarget>({
    name,
    group: 'quickstart',
    tags: ['vm', 'slow'],
    summary:
      name === 'single-node-trial'
        ? 'public alias of single-node-quickstart: the same smoke launcher for the minimal VM-platform core'
        : 'boots the minimal VM stack under QEMU, verifies chainfire, flaredb, iam, prismnet and plasmavmc from inside the guest, and checks the shipped product-surface manifest',
    run: (ctx) => runQuickstart(ctx, options),
  });
}

export const singleNodeQuickstart = quickstartLane('single-node-quickstart');
export const singleNodeTrial = quickstartLane('single-node-trial');

async function runQuickstart(ctx: Ctx, options: QuickstartOptions): Promise<void> {
  const target = ctx.target;
  const probe = await ctx.step('probe the VM accelerator by booting a guest with KVM', async () => {
    const result = await probeAccelerator(await target.probeGuest());
    ctx.log(`vm_accelerator_mode=${result.mode}: ${result.reason}`);
    ctx.recordEnvironment({ vm_accelerator_mode: result.mode, vm_accelerator_probe: result.reason });
    return result;
  });
  const kvm = probe.mode === 'kvm';
  const markerTimeoutMs = options.markerTimeoutMs ?? (kvm ? 120_000 : 300_000);
  const healthTimeoutMs = options.healthTimeoutMs ?? (kvm ? 180_000 : 420_000);
  const keep = process.env.ULTRACLOUD_QUICKSTART_KEEP_VM === '1';
  const stateDir = join(ctx.proofRoot, 'state');
  let passed = false;

  const vm = await ctx.step(
    `boot nixosConfigurations.single-node-quickstart through its generated VM runner (${probe.mode})`,
    async () => {
      const booted = await target.boot({ accel: probe.mode, stateDir, bootTimeoutMs: markerTimeoutMs });
      ctx.defer('stop the quickstart VM, or keep it as asked', async () => {
        if (keep && passed) return;
        await booted.stop();
        ctx.check(
          'nothing of the quickstart VM runs after it is stopped',
          (await booted.node.power.state()) === 'stopped',
        );
      });
      ctx.defer('record the quickstart environment and the serial log', async () => {
        await ctx.artifact('environment.txt', formatEnvironment({ vm_accelerator_mode: probe.mode, ...booted.facts }));
        await saveSerialLog(ctx, booted);
      });
      ctx.check('the VM runner is running', (await booted.node.power.state()) === 'running');
      return booted;
    },
  );

  await ctx.step(`the console shows node.boot.${vm.hostname}`, async () => {
    const marker = `node.boot.${vm.hostname}`;
    try {
      await waitForMarkers(vm.serialLog, [marker], {
        failure: ['quickstart.failed'],
        timeoutMs: markerTimeoutMs,
        signal: ctx.signal,
        label: vm.hostname,
      });
    } catch (err) {
      if (err instanceof MarkerTimeoutError)
        ctx.check(`the console shows "${marker}" within ${Math.round(markerTimeoutMs / 1000)} s`, false, err.message);
      if (err instanceof MarkerFailureError) ctx.check(`the guest boots without "${err.marker}"`, false, err.message);
      throw err;
    }
    ctx.check(`console shows "${marker}"`, true);
  });

  await ctx.step('SSH reaches the guest: its own boot and hostname, not the host', async () => {
    const facts = await ctx.eventually(
      'the guest answers SSH',
      async () => {
        const r = await vm.node.exec('cat /proc/sys/kernel/random/boot_id; hostname', { timeoutMs: 20_000 });
        if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${r.stderr.trim()}`);
        const [bootId = '', host = ''] = r.stdout.trim().split('\n');
        return { bootId: bootId.trim(), host: host.trim() };
      },
      { timeoutMs: markerTimeoutMs, intervalMs: 2_000, maxIntervalMs: 2_000 },
    );
    const hostBootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    ctx.check('the guest has a boot id of its own', /^[0-9a-f-]{36}$/.test(facts.bootId), facts.bootId);
    ctx.check("the guest's boot is not the host's", facts.bootId !== hostBootId, `guest ${facts.bootId}`);
    ctx.check(`the guest's hostname is ${vm.hostname}`, facts.host === vm.hostname, facts.host);
  });

  const health: Record<string, string> = {};
  await ctx.step('inside the guest, chainfire, flaredb, iam, prismnet and plasmavmc answer healthy', async () => {
    // one deadline for the five: they start together, and the one not healthy by then is named
    const deadline = Date.now() + healthTimeoutMs;
    for (const service of quickstartServices) {
      const seen = await ctx.until(
        `${service} answers healthy on the guest's loopback`,
        () => vm.guest.health(service),
        (h) => h.healthy,
        { timeoutMs: Math.max(deadline - Date.now(), 5_000), intervalMs: 3_000, maxIntervalMs: 3_000 },
      );
      health[service] = seen.detail;
    }
    await ctx.artifact('guest-health.json', health);
  });

  await ctx.step(
    'the shipped product-surface manifest holds the single-node core and none of the rollout stack',
    async () => {
      const raw = await vm.guest.manifest();
      await ctx.artifact('manifest.json', raw as object);
      const parsed = ProductSurface.safeParse(raw);
      ctx.check(
        'the manifest is a product-surface document (services, components)',
        parsed.success,
        parsed.success ? undefined : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
      const components = parsed.data?.components ?? [];
      for (const c of quickstartServices)
        ctx.check(`the manifest names ${c}`, components.includes(c), components.join(', '));
      for (const c of rolloutStack)
        ctx.check(`the manifest does not name ${c}`, !components.includes(c), components.join(', '));
      ctx.check('the manifest says single-node', parsed.data?.profile === 'single-node', String(parsed.data?.profile));
    },
  );

  const unbound = vm.guest.unbound(quickstartOperations);
  if (unbound.length) ctx.block(unbound.map((op) => `${op} inside the quickstart guest`));
  await ctx.step('inside the guest, each service does its core work', async () => {
    await coreBehaviour(ctx, vm);
  });

  if (keep) {
    await ctx.step('keep the VM running and say how to reach it', async () => {
      await vm.keep();
      const lines = [`ssh: ${vm.reach.ssh}`, `serial log: ${vm.reach.serialLog}`, `stop: ${vm.reach.stop}`];
      for (const l of lines) ctx.log(`kept quickstart VM ${l}`);
      await ctx.artifact('kept-vm.txt', `${lines.join('\n')}\n`);
    });
  }
  passed = true;
}

async function coreBehaviour(ctx: Ctx, vm: QuickstartVm): Promise<void> {
  const { chainfire, flaredb, iam, prismnet, plasmavmc } = vm.guest.ports;
  const tag = randomBytes(4).toString('hex');

  const key = `/quickstart/${tag}`;
  const put = await chainfire.put(key, `value-${tag}`);
  const read = await chainfire.get(key);
  ctx.check('chainfire returns the value put', read.found && read.value === `value-${tag}`, JSON.stringify(read));
  ctx.check('chainfire reads at or past the put revision', read.modRevision >= put.revision, JSON.stringify(read));
  const missing = await chainfire.get(`${key}-never-written`);
  ctx.check(
    'chainfire finds no key that was never written',
    !missing.found && missing.value === null,
    JSON.stringify(missing),
  );

  const table = `quickstart_${tag}`;
  await flaredb.migrate(`quickstart-${tag}`, [`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`]);
  await flaredb.execute(`INSERT INTO ${table} (name) VALUES (?)`, [`row-${tag}`]);
  const rows = await flaredb.query<{ name: string }>(`SELECT name FROM ${table}`);
  ctx.check(
    'flaredb returns exactly the row inserted',
    rows.length === 1 && rows[0]?.name === `row-${tag}`,
    JSON.stringify(rows),
  );

  const admin = await iam.bootstrap(`quickstart-${tag}`);
  const issued = await iam.issueToken(admin.principal, admin.secret);
  const verified = await iam.verifyToken(issued.token);
  ctx.check(
    'iam verifies the token it issued',
    verified.valid && verified.principal === admin.principal,
    JSON.stringify({ valid: verified.valid }),
  );
  const tampered = `${issued.token.slice(0, -2)}${issued.token.endsWith('AA') ? 'BB' : 'AA'}`;
  const refused = await iam.verifyToken(tampered);
  ctx.check(
    'iam refuses the same token with its signature altered',
    !refused.valid,
    JSON.stringify({ valid: refused.valid }),
  );
  const wrongSecret = await iam.issueToken(admin.principal, `${admin.secret}x`).then(
    () => 'issued',
    () => 'refused',
  );
  ctx.check('iam issues no token for an almost-right secret', wrongSecret === 'refused', wrongSecret);

  const cidr = `10.${100 + (Number.parseInt(tag.slice(0, 2), 16) % 100)}.${Number.parseInt(tag.slice(2, 4), 16)}.0/24`;
  const network = await prismnet.createNetwork(`quickstart-${tag}`, cidr);
  const networks = await prismnet.networks();
  const listed = networks.find((n) => n.id === network.id);
  ctx.check(
    `prismnet lists the network it created with ${cidr}`,
    listed?.cidr === cidr,
    JSON.stringify(listed ?? null),
  );

  const worker = await plasmavmc.worker();
  ctx.check(
    `plasmavmc registers the guest as its worker (${vm.hostname})`,
    worker.node === vm.hostname,
    JSON.stringify({ node: worker.node, address: worker.address }),
  );
  ctx.check(
    'the worker advertises exactly HYPERVISOR_TYPE_KVM',
    worker.hypervisors.length === 1 && worker.hypervisors[0] === 'HYPERVISOR_TYPE_KVM',
    worker.hypervisors.join(', '),
  );
  ctx.check(
    'the worker registers its capacity',
    worker.capacity.vcpus > 0 && worker.capacity.memoryMiB > 0,
    JSON.stringify(worker.capacity),
  );
  await ctx.artifact('guest-core.json', {
    chainfire: { key, revision: put.revision, read },
    flaredb: { table, rows },
    iam: { principal: admin.principal, kid: issued.kid, tamperedRefused: !refused.valid },
    prismnet: listed ?? null,
    plasmavmc: worker,
  });
}

async function saveSerialLog(ctx: Ctx, vm: QuickstartVm): Promise<void> {
  const text = await readFile(vm.serialLog, 'utf8').catch(() => '');
  await ctx.artifact('serial.log', text);
}
