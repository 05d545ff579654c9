import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WaitTimeoutError } from '../../contracts/errors.ts';
import {
  ProductSurface,
  type QuickstartTarget,
  type QuickstartVm,
  quickstartServices,
} from '../../contracts/quickstart-target.ts';
import { defineLane, type LaneContext, type LaneDefinition } from '../../harness/define.ts';
import { formatEnvironment } from '../../helpers/environment.ts';
import {
  followFile,
  MarkerFailureError,
  MarkerTimeoutError,
  markersInLine,
  waitForMarkers,
} from '../../helpers/markers.ts';
import { probeAccelerator } from '../../helpers/qemu-accelerator.ts';
import { eventually, sleep } from '../../helpers/retry.ts';

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

  const markerBoundS = Math.round(markerTimeoutMs / 1000);
  await ctx.step(`the console shows node.boot.${vm.hostname} within ${markerBoundS} s`, async () => {
    const marker = `node.boot.${vm.hostname}`;
    const property = `the console shows "${marker}"`;
    const done = new AbortController();
    const signal = AbortSignal.any([ctx.signal, done.signal]);
    // the marker, or the guest's own sign that it booted past the point the marker comes at without printing it
    const passedWithout = vm.afterBootMarker ? consoleLine(vm.serialLog, vm.afterBootMarker.line, signal) : null;
    const markerSeen = waitForMarkers(vm.serialLog, [marker], {
      failure: ['quickstart.failed'],
      timeoutMs: markerTimeoutMs,
      signal,
      label: vm.hostname,
    }).then(() => 'marker' as const);
    try {
      const outcome = await Promise.race([
        markerSeen,
        ...(passedWithout ? [passedWithout.then((before) => ({ before }))] : []),
      ]);
      if (outcome !== 'marker') {
        const printed = outcome.before.split('\n').some((l) => markersInLine(l).includes(marker));
        ctx.check(
          property,
          printed,
          `the guest printed ${vm.afterBootMarker?.what} ("${vm.afterBootMarker?.line}") with no "${marker}" before it`,
        );
      }
    } catch (err) {
      if (err instanceof MarkerTimeoutError) {
        throw new WaitTimeoutError(
          `${property}: not within ${markerBoundS} s, and the guest gave no sign it booted past it; ${err.message}`,
          markerTimeoutMs,
        );
      }
      if (err instanceof MarkerFailureError) ctx.check(`the guest boots without "${err.marker}"`, false, err.message);
      throw err;
    } finally {
      done.abort();
      await Promise.allSettled([markerSeen, passedWithout]);
    }
    ctx.check(property, true);
  });

  await ctx.step(
    `SSH reaches the guest within ${markerBoundS} s: its own boot and hostname, not the host`,
    async () => {
      // a guest that does not answer by the bound is a timeout, not a broken property
      const facts = await eventually(
        async () => {
          const r = await vm.node.exec('cat /proc/sys/kernel/random/boot_id; hostname', { timeoutMs: 20_000 });
          if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${r.stderr.trim()}`);
          const [bootId = '', host = ''] = r.stdout.trim().split('\n');
          return { bootId: bootId.trim(), host: host.trim() };
        },
        {
          timeoutMs: markerTimeoutMs,
          intervalMs: 2_000,
          maxIntervalMs: 2_000,
          signal: ctx.signal,
          what: `the guest answers SSH within ${markerBoundS} s`,
        },
      );
      ctx.check('the guest answers SSH', true);
      const hostBootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
      ctx.check('the guest has a boot id of its own', /^[0-9a-f-]{36}$/.test(facts.bootId), facts.bootId);
      ctx.check("the guest's boot is not the host's", facts.bootId !== hostBootId, `guest ${facts.bootId}`);
      ctx.check(`the guest's hostname is ${vm.hostname}`, facts.host === vm.hostname, facts.host);
    },
  );

  const health: Record<string, string> = {};
  const healthBoundS = Math.round(healthTimeoutMs / 1000);
  await ctx.step(
    `inside the guest, chainfire, flaredb, iam, prismnet and plasmavmc answer healthy within ${healthBoundS} s`,
    async () => {
      // one deadline for the five: they start together, and the one not healthy by then is named. A service the
      // guest itself says will not answer (settled) fails at once; one merely not there yet is waited for.
      const started = Date.now();
      const deadline = started + healthTimeoutMs;
      for (const service of quickstartServices) {
        const property = `${service} answers healthy on the guest's loopback`;
        let nextProgress = Date.now() + 10_000;
        for (;;) {
          const seen = await vm.guest.health(service);
          if (seen.healthy) {
            ctx.check(property, true, seen.detail);
            health[service] = seen.detail;
            break;
          }
          if (seen.settled) ctx.check(property, false, `${seen.detail}; ${seen.settled}`);
          if (Date.now() >= deadline) {
            throw new WaitTimeoutError(
              `"${property}" not seen within ${healthBoundS} s, and the guest gave no sign it will not be; last: ${seen.detail}`,
              Date.now() - started,
            );
          }
          if (Date.now() >= nextProgress) {
            ctx.log(
              `    … awaiting "${property}": ${Math.round((Date.now() - started) / 1000)} s so far, ${Math.round((deadline - Date.now()) / 1000)} s left; last: ${seen.detail}`,
            );
            nextProgress = Date.now() + 10_000;
          }
          await sleep(Math.min(3_000, Math.max(deadline - Date.now(), 0)), ctx.signal);
        }
      }
      await ctx.artifact('guest-health.json', health);
    },
  );

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

/** Resolves with the console's text before `line` once the console shows it (followed through file events). */
async function consoleLine(path: string, line: string, signal: AbortSignal): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of followFile(path, { signal })) {
    text += decoder.decode(chunk, { stream: true });
    const at = text.indexOf(line);
    if (at >= 0) return text.slice(0, at);
  }
  throw signal.reason ?? new Error(`stopped following ${path}`);
}
