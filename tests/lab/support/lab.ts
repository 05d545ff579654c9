import { HarnessError } from '../../../contracts/errors.ts';
import type { Cluster, ClusterInfo } from '../../../contracts/target.ts';
import { connectCluster } from '../../../harness/cluster.ts';
import { callJson } from '../../../helpers/http.ts';
import type { LabState } from '../../../lab/cluster/lab-spec.ts';
import { type BootLabOptions, bootLab } from '../../../lab/cluster/start-lab.ts';
import type { NodeReport } from '../../../lab/controller-api.ts';
import { allowLabDestinations, assertLabAddress } from '../../../lab/net/address-guard.ts';
import { labClusterInfo, labStateOf } from '../../../lab/target/driver.ts';

/** A lab of one's own (e.g. a negative test with faults on from boot): `await using lab = await startLab({...})`. */
export interface StartedLab extends AsyncDisposable {
  readonly cluster: Cluster;
  readonly info: ClusterInfo;
  readonly state: LabState;
  dispose(): Promise<void>;
}

export async function startLab(options: BootLabOptions = {}): Promise<StartedLab> {
  allowLabDestinations();
  const lab = await bootLab(options);
  try {
    for (const n of lab.state.nodes) await assertLabAddress(n.address);
    const info = labClusterInfo(lab.state);
    const cluster = await connectCluster(info);
    return {
      cluster,
      info,
      state: lab.state,
      dispose: () => lab.stop(),
      [Symbol.asyncDispose]: () => lab.stop(),
    };
  } catch (err) {
    await lab.stop();
    throw err;
  }
}

/** The lab controller's node and service control, beyond what a NodeHandle offers. */
export function labControl(info: ClusterInfo) {
  const url = labStateOf(info).controllerUrl;
  return {
    nodes: () => callJson<NodeReport[]>('GET', `${url}/nodes`),
    node: async (name: string) => {
      const n = (await callJson<NodeReport[]>('GET', `${url}/nodes`)).find((x) => x.name === name);
      if (!n) throw new HarnessError(`the lab has no node "${name}"`);
      return n;
    },
    restartService: (node: string, service: string) =>
      callJson('POST', `${url}/nodes/${node}/services/${service}/restart`, { timeoutMs: 60_000 }),
  };
}
