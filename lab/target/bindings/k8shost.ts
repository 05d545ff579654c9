import type { K8shostPort, K8sObject } from '../../../contracts/ports/k8shost.ts';
import { callJson } from '../../../helpers/http.ts';
import type { PortBinding } from './binding.ts';
import { instanceUrl } from './lab-instance.ts';

export function createK8shostPort(binding: PortBinding, node?: string): K8shostPort {
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
