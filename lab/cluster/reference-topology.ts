import type { ServiceName } from '../../profiles/descriptor-schema.ts';
import type { LabNodeSpec } from './lab-spec.ts';

/**
 * The six-node harness: node01-03 control plane, node04-05 workers, node06 gateway and optional services.
 * chainfire's initial voters are the control-plane nodes; on a worker it idles until a lane adds it as a learner.
 */
export const referenceTopology: LabNodeSpec[] = [
  { name: 'node01', role: 'control-plane', services: ['chainfire', 'flaredb', 'iam', 'deployer', 'nix-agent'] },
  { name: 'node02', role: 'control-plane', services: ['chainfire', 'flaredb', 'iam', 'nix-agent'] },
  { name: 'node03', role: 'control-plane', services: ['chainfire', 'flaredb', 'iam', 'nix-agent'] },
  {
    name: 'node04',
    role: 'worker',
    services: ['chainfire', 'node-agent', 'plasmavmc', 'prismnet', 'lightningstor', 'coronafs'],
  },
  { name: 'node05', role: 'worker', services: ['node-agent', 'plasmavmc', 'prismnet', 'lightningstor', 'coronafs'] },
  {
    name: 'node06',
    role: 'gateway',
    services: ['fleet-scheduler', 'apigateway', 'fiberlb', 'flashdns', 'nightlight', 'creditservice', 'k8shost'],
  },
];

/** The API port of every lab service (the same on every node that runs it). */
export const labServicePorts: Record<ServiceName, number> = {
  chainfire: 7101,
  flaredb: 7102,
  iam: 7103,
  plasmavmc: 7104,
  prismnet: 7105,
  flashdns: 7106,
  fiberlb: 7107,
  lightningstor: 7108,
  coronafs: 7109,
  apigateway: 7110,
  nightlight: 7111,
  creditservice: 7112,
  k8shost: 7113,
  deployer: 7114,
  'nix-agent': 7115,
  'fleet-scheduler': 7116,
  'node-agent': 7117,
};
