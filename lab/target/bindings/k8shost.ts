import { callJson } from '../../../helpers/http.ts';
import { bindingRequired, type PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

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

export function createK8shostPort(binding: PortBinding, node?: string): K8shostPort {
  if (binding.kind === 'ultracloud-monorepo') return unbound(binding);
  const url = (ns: string, path: string) =>
    `${instanceUrl(binding, 'k8shost', node)}/v1/namespaces/${encodeURIComponent(ns)}${path}`;
  const enc = encodeURIComponent;
  return {
    at: (n) => createK8shostPort(binding, n),
    createPod: (ns, pod) => callJson('POST', url(ns, '/pods'), { body: pod }),
    setPodLabels: (ns, name, labels) => callJson('PUT', url(ns, `/pods/${enc(name)}`), { body: { labels } }),
    deletePod: (ns, name) => callJson('DELETE', url(ns, `/pods/${enc(name)}`)),
    listPods: (ns) => callJson('GET', url(ns, '/pods')),
    createService: (ns, service) => callJson('POST', url(ns, '/services'), { body: service }),
    deleteService: (ns, name) => callJson('DELETE', url(ns, `/services/${enc(name)}`)),
    listServices: (ns) => callJson('GET', url(ns, '/services')),
    async endpoints(ns, service) {
      const ep = await callJson<K8sObject>('GET', url(ns, `/services/${enc(service)}/endpoints`));
      return (ep.spec.pods as string[] | undefined) ?? [];
    },
    watch: (kind, resourceVersion, timeoutMs = 10_000) =>
      callJson(
        'GET',
        `${instanceUrl(binding, 'k8shost', node)}/v1/watch?kind=${kind}&resourceVersion=${resourceVersion}&timeoutMs=${timeoutMs}`,
        {
          timeoutMs: timeoutMs + 10_000,
        },
      ),
  };
}

function unbound(binding: PortBinding): K8shostPort {
  const missing = (operation: string) => () => bindingRequired(binding, 'k8shost', operation);
  return {
    at: () => unbound(binding),
    createPod: missing('createPod'),
    setPodLabels: missing('setPodLabels'),
    deletePod: missing('deletePod'),
    listPods: missing('listPods'),
    createService: missing('createService'),
    deleteService: missing('deleteService'),
    listServices: missing('listServices'),
    endpoints: missing('endpoints'),
    watch: missing('watch'),
  };
}
