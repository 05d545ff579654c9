import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The built-in service instance node-agent runs when a service names no command: a tiny HTTP server on the
 * node's address that answers its identity. Its port is written to UCP_INSTANCE_PORT_FILE.
 *   node instance-server.ts --instance <id> --service <name>
 */
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? '') : '';
};
const instance = arg('instance');
const service = arg('service');
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ instance, service, node: process.env.UCP_NODE ?? null, pid: process.pid }));
});
server.listen(0, process.env.UCP_INSTANCE_HOST ?? '127.0.0.1', () => {
  const port = (server.address() as AddressInfo).port;
  if (process.env.UCP_INSTANCE_PORT_FILE) writeFileSync(process.env.UCP_INSTANCE_PORT_FILE, `${port}\n`);
  process.stdout.write(`instance ${instance} of ${service} listening on ${port}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  process.exit(0);
});
