import type { NodeRole, ServiceName } from '../../profiles/descriptor-schema.ts';
import type { LabRuntime } from './lab-build.ts';

/** One node the lab boots: its name (= hostname), role and the services it runs, in start order. */
export interface LabNodeSpec {
  name: string;
  role: NodeRole;
  services: ServiceName[];
}

/** What a lab controller boots. */
export interface LabSpec {
  nodes: LabNodeSpec[];
  /** the port each service's API listens on, on every node that runs it */
  servicePorts: Partial<Record<ServiceName, number>>;
  /** faults switched on before any service starts */
  faults: FaultSetting[];
  /** where lab state lives: <workRoot>/lab/<lab-id> */
  workRoot: string;
  /** where the node list came from (flake nixosConfigurations or a profile), for the record */
  source: string;
  /** how the lab's processes are launched (bundled JavaScript or the .ts sources; lab/cluster/lab-build.ts) */
  runtime?: LabRuntime;
}

export interface FaultSetting {
  service: ServiceName;
  fault: string;
  /** only this node's instance; every instance when absent */
  node?: string;
}

/** What a running lab looks like from outside: written by the controller to <labDir>/controller.json. */
export interface LabState {
  labId: string;
  controllerPid: number;
  controllerUrl: string;
  labDir: string;
  subnet: string;
  bridge: string;
  sshKeyPath: string;
  source: string;
  nodes: Array<{
    name: string;
    role: NodeRole;
    address: string;
    netns: string;
    consolePath: string;
    services: Partial<Record<ServiceName, { host: string; port: number; scheme: 'http' }>>;
  }>;
}
