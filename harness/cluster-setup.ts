import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestProject } from 'vitest/node';
import { BlockedError } from '../contracts/errors.ts';
import type { ClusterInfo } from '../contracts/target.ts';
import { callJson } from '../helpers/http.ts';
import { waitForMarkers } from '../helpers/markers.ts';
import { currentLab, setCurrentLab } from '../lab/cluster/current-lab.ts';
import { parseFaultList } from '../lab/cluster/fault-catalogue.ts';
import { referenceFlake } from '../lab/cluster/flake-topology.ts';
import { labDescriptor } from '../lab/cluster/lab-descriptor.ts';
import type { LabState } from '../lab/cluster/lab-spec.ts';
import { bootLab, waitForNodesReady } from '../lab/cluster/start-lab.ts';
import { assertLabAddress } from '../lab/net/address-guard.ts';

/**
 * Vitest global setup for the cluster projects: boots the six-node harness once per run (shared by every project
 * that lists this setup), waits for each node's node.boot and node.ready markers and every service healthy, and
 * provides `ultracloudCluster` to the workers. Teardown stops the lab; ULTRACLOUD_KEEP_CLUSTER=1 leaves it
 * running (and reuses a live one). Faults: ULTRACLOUD_LAB_FAULTS=svc:fault[@node],...
 */
interface SharedLab {
  boot: Promise<{ info: ClusterInfo; stop: () => Promise<void> }> | undefined;
  users: number;
}
// Vitest loads a global setup file once per project: the lab is shared through the process, not the module.
const shared: SharedLab = ((globalThis as { [key: symbol]: SharedLab })[Symbol.for('ultracloud.cluster-setup')] ??= {
  boot: undefined,
  users: 0,
});

async function bootShared(): Promise<{ info: ClusterInfo; stop: () => Promise<void> }> {
  const flake = process.env.ULTRACLOUD_FLAKE;
  if (flake && resolve(flake) !== referenceFlake) return await bootMonorepo(resolve(flake));
  const keep = process.env.ULTRACLOUD_KEEP_CLUSTER === '1';
  const readyTimeoutMs = Number(process.env.ULTRACLOUD_LAB_READY_TIMEOUT_MS ?? 180_000);
  let state: LabState;
  let stop: () => Promise<void> = async () => {};
  const reused = keep ? currentLab() : null;
  if (reused) {
    state = reused;
    // a kept lab gets this run's preset faults through its controller (unknown ones are refused by name)
    for (const f of parseFaultList(process.env.ULTRACLOUD_LAB_FAULTS)) {
      await callJson('PUT', `${state.controllerUrl}/faults`, { body: f });
    }
    await waitForNodesReady(state, readyTimeoutMs);
  } else {
    const lab = await bootLab({ detach: keep, readyTimeoutMs });
    state = lab.state;
    if (keep) await setCurrentLab(state);
    else stop = () => lab.stop();
  }
  try {
    for (const n of state.nodes) await assertLabAddress(n.address);
    await Promise.all(
      state.nodes.map((n) =>
        waitForMarkers(n.consolePath, [`node.boot.${n.name}`, `node.ready.${n.name}`], {
          timeoutMs: readyTimeoutMs,
          label: `${n.name} console`,
        }),
      ),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const info: ClusterInfo = {
    descriptor: labDescriptor(state),
    controllerUrl: state.controllerUrl,
    sshKeyPath: state.sshKeyPath,
    labId: state.labId,
  };
  return { info, stop };
}

/** The real monorepo: nodes are NixOS VMs from its nixos-vm-runner outputs, launched by helpers/qemu-cluster.ts. */
async function bootMonorepo(flake: string): Promise<{ info: ClusterInfo; stop: () => Promise<void> }> {
  const launcher = resolve(import.meta.dirname, '../targets/monorepo/vm-cluster.ts');
  let mod: { bootVmCluster?: (flake: string) => Promise<{ info: ClusterInfo; stop: () => Promise<void> }> };
  try {
    mod = await import(pathToFileURL(launcher).href);
  } catch {
    mod = {};
  }
  if (!mod.bootVmCluster) {
    throw new BlockedError([
      `a nixos-vm-runner cluster launcher (targets/monorepo/vm-cluster.ts exporting bootVmCluster) for ULTRACLOUD_FLAKE=${flake}`,
    ]);
  }
  return await mod.bootVmCluster(flake);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  shared.users++;
  shared.boot ??= bootShared().catch((err: unknown) => {
    // a target this host cannot boot: lanes record blocked with what is missing instead of the run crashing
    if (!(err instanceof BlockedError)) throw err;
    return { info: blockedClusterInfo(err.missing), stop: async () => {} };
  });
  const { info } = await shared.boot;
  project.provide('ultracloudCluster', info);
  return async () => {
    shared.users--;
    if (shared.users > 0 || !shared.boot) return;
    const { stop } = await shared.boot;
    shared.boot = undefined;
    await stop();
  };
}

function blockedClusterInfo(missing: string[]): ClusterInfo {
  const flake = process.env.ULTRACLOUD_FLAKE ?? '';
  return {
    descriptor: {
      name: `blocked:${flake}`,
      kind: 'ultracloud-monorepo',
      flake,
      attributes: { profiles: {}, checks: [], apps: [], clusterLanes: [] },
      nodes: [],
      binding: 'ultracloud-monorepo',
    } as unknown as ClusterInfo['descriptor'],
    controllerUrl: null,
    sshKeyPath: null,
    labId: null,
    blocked: missing,
  };
}
