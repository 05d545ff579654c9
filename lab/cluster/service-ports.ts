import type { ServiceName } from '../../profiles/descriptor-schema.ts';

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
