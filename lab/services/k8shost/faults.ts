import type { FaultCatalogue } from '../common/fault-switches.ts';

export const k8shostFaults = {
  'watch-drops-events': {
    breaks: 'a watch from a resourceVersion delivers every later event of its kind, in order, with none missing',
  },
  'service-endpoints-stale': {
    breaks: "a service's endpoints follow the pods its selector matches as pods come, go and change labels",
  },
  'pods-as-host-services': {
    breaks: 'tenant pods stay k8shost API objects: a pod is never registered as a fleet-scheduler host service',
  },
} satisfies FaultCatalogue;
