export type K8sKind = 'pods' | 'services' | 'endpoints';

export interface K8sObject {
  kind: K8sKind;
  namespace: string;
  name: string;
  resourceVersion: number;
  labels?: Record<string, string>;
  spec: Record<string, unknown>;
}

export interface K8sWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resourceVersion: number;
  object: K8sObject;
}

export interface K8sList {
  items: K8sObject[];
  resourceVersion: number;
}

/** K8sHost: tenant pods and services, endpoints from pod labels, and a watch resumable by resourceVersion. */
export interface K8shostPort {
  at(node: string): K8shostPort;
  createPod(
    namespace: string,
    pod: { name: string; labels?: Record<string, string>; image?: string },
  ): Promise<K8sObject>;
  setPodLabels(namespace: string, name: string, labels: Record<string, string>): Promise<K8sObject>;
  deletePod(namespace: string, name: string): Promise<K8sObject>;
  listPods(namespace: string): Promise<K8sList>;
  createService(
    namespace: string,
    service: { name: string; selector: Record<string, string>; port?: number },
  ): Promise<K8sObject>;
  deleteService(namespace: string, name: string): Promise<K8sObject>;
  listServices(namespace: string): Promise<K8sList>;
  /** names of the pods behind a service */
  endpoints(namespace: string, service: string): Promise<string[]>;
  /** one long-poll: events of a kind after resourceVersion (waits up to timeoutMs for the first) */
  watch(
    kind: K8sKind,
    resourceVersion: number,
    timeoutMs?: number,
  ): Promise<{ events: K8sWatchEvent[]; resourceVersion: number }>;
}

/** Every operation of the port: what a bindings module is checked against and what an unbound port refuses. */
export const k8shostOperations = [
  'at',
  'createPod',
  'setPodLabels',
  'deletePod',
  'listPods',
  'createService',
  'deleteService',
  'listServices',
  'endpoints',
  'watch',
] as const satisfies readonly (keyof K8shostPort)[];
