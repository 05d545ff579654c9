import { writeFileSync } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { FaultSwitches } from '../services/common/fault-switches.ts';
import { BmcAuth, type BmcCredentials } from './auth.ts';
import { EmulatedMachine, type MachineBooter } from './machine.ts';
import { fetchMedia } from './media.ts';
import { type RedfishSwitch, redfishSwitches } from './quirks.ts';
import { errorBody, RedfishFault, type RedfishReply } from './redfish-reply.ts';
import * as doc from './resources.ts';
import { handleBootPatch, handleReset } from './system-actions.ts';

export interface RedfishEmulatorOptions {
  credentials: BmcCredentials;
  /** the machine's disk, serial log, media cache and switches file live here */
  stateDir: string;
  booter: MachineBooter;
  host?: string;
  port?: number;
  /** serve HTTPS with a self-signed certificate (its PEM is at `caFile`) */
  tls?: boolean;
  /** quirks and faults on from the start; switch later with setSwitches */
  switches?: RedfishSwitch[];
  diskSizeMiB?: number;
  log?: (line: string) => void;
}

export interface RedfishEmulator extends AsyncDisposable {
  readonly url: string;
  readonly serialLog: string;
  readonly diskPath: string;
  readonly caFile: string | undefined;
  readonly machine: EmulatedMachine;
  /** replace the active quirks and faults (takes effect on the next request) */
  setSwitches(switches: RedfishSwitch[]): Promise<void>;
  close(): Promise<void>;
}

export interface RedfishRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** Start the lab BMC: a Redfish HTTP(S) server on loopback in front of an emulated machine that boots QEMU. */
export async function startRedfishEmulator(options: RedfishEmulatorOptions): Promise<RedfishEmulator> {
  await mkdir(options.stateDir, { recursive: true });
  const serialLog = join(options.stateDir, 'serial.log');
  const diskPath = join(options.stateDir, 'disk.raw');
  const switchesFile = join(options.stateDir, 'switches.json');
  await writeFile(serialLog, '', { flag: 'a' });
  const disk = await open(diskPath, 'a');
  await disk.truncate((options.diskSizeMiB ?? 512) * 2 ** 20).finally(() => disk.close());
  writeFileSync(switchesFile, JSON.stringify(Object.fromEntries((options.switches ?? []).map((s) => [s, true]))));
  const switches = new FaultSwitches(redfishSwitches, switchesFile);
  const auth = new BmcAuth(options.credentials);
  const machine = new EmulatedMachine(options.booter, { diskPath, serialLog, name: `bmc-${process.pid}` });
  let queue: Promise<unknown> = Promise.resolve();
  const serialize = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => {});
    return next;
  };

  const handle = async (req: RedfishRequest): Promise<RedfishReply> => {
    const path = req.path.replace(/\/+$/, '') || '/';
    if (req.method === 'GET' && path === doc.paths.root) return { status: 200, body: doc.serviceRoot() };
    if (req.method === 'POST' && path === doc.paths.sessions) {
      const { id, token } = auth.login(req.body.UserName, req.body.Password);
      const location = `${doc.paths.sessions}/${id}`;
      return {
        status: 201,
        body: doc.session(id, String(req.body.UserName)),
        headers: { 'x-auth-token': token, location },
      };
    }
    auth.require(req.headers);
    const route = `${req.method} ${path}`;
    switch (route) {
      case `GET ${doc.paths.systems}`:
        return { status: 200, body: doc.collection(path, 'ComputerSystem', [doc.paths.system]) };
      case `GET ${doc.paths.system}`:
        return { status: 200, body: doc.system(machine), headers: { etag: doc.etagOf(machine) } };
      case `PATCH ${doc.paths.system}`:
        return handleBootPatch(req, machine, switches);
      case `POST ${doc.paths.reset}`:
        return handleReset(req, machine, serialize);
      case `GET ${doc.paths.managers}`:
        return { status: 200, body: doc.collection(path, 'Manager', [doc.paths.manager]) };
      case `GET ${doc.paths.manager}`:
        return { status: 200, body: doc.manager() };
      case `GET ${doc.paths.virtualMediaCollection}`:
        return { status: 200, body: doc.collection(path, 'VirtualMedia', [doc.paths.cd]) };
      case `GET ${doc.paths.cd}`:
        return { status: 200, body: doc.virtualMedia(machine), headers: { etag: doc.etagOf(machine) } };
      case `POST ${doc.paths.insertMedia}`: {
        if (switches.on('reject-insert-media')) {
          throw new RedfishFault(500, 'InternalError', 'virtual media service failed to mount the image (lab fault)');
        }
        if (machine.media.inserted) {
          throw new RedfishFault(409, 'ResourceInUse', 'virtual media is already inserted; eject it first');
        }
        const localPath = await fetchMedia(req.body.Image, join(options.stateDir, 'media'));
        if (switches.on('insert-media-noop')) {
          await rm(localPath, { force: true });
          options.log?.(`InsertMedia ${String(req.body.Image)} accepted and dropped (lab fault)`);
          return { status: 204 };
        }
        machine.media = { image: String(req.body.Image), inserted: true, localPath };
        machine.touch();
        options.log?.(`InsertMedia ${machine.media.image}`);
        return { status: 204 };
      }
      case `POST ${doc.paths.ejectMedia}`: {
        if (switches.on('eject-media-noop')) return { status: 204 };
        if (machine.media.localPath) await rm(machine.media.localPath, { force: true });
        machine.media = { image: null, inserted: false, localPath: undefined };
        machine.touch();
        return { status: 204 };
      }
      case `GET ${doc.paths.sessionService}`:
        return { status: 200, body: doc.sessionService() };
      case `GET ${doc.paths.sessions}`:
        return {
          status: 200,
          body: doc.collection(
            path,
            'Session',
            [...auth.sessions.keys()].map((id) => `${path}/${id}`),
          ),
        };
    }
    const session = new RegExp(`^${doc.paths.sessions}/([0-9a-f]+)$`).exec(path);
    if (req.method === 'GET' && session?.[1]) {
      const found = auth.sessions.get(session[1]);
      if (!found) throw new RedfishFault(404, 'ResourceMissingAtURI', `no session ${session[1]}`);
      return { status: 200, body: doc.session(session[1], found.user) };
    }
    if (req.method === 'DELETE' && session?.[1]) {
      if (!auth.logout(session[1])) throw new RedfishFault(404, 'ResourceMissingAtURI', `no session ${session[1]}`);
      return { status: 204 };
    }
    throw new RedfishFault(404, 'ResourceMissingAtURI', `the resource at ${req.method} ${path} was not found`);
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => void dispatch(handle, req, res, options.log);
  const tls = options.tls ? await import('./tls.ts').then((m) => m.selfSignedCertificate(options.stateDir)) : undefined;
  const server: Server = tls
    ? createHttpsServer({ key: tls.key, cert: tls.cert }, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await serialize(() => machine.forceOff());
  };
  return {
    url: `${tls ? 'https' : 'http'}://${options.host ?? '127.0.0.1'}:${port}`,
    serialLog,
    diskPath,
    caFile: tls?.certFile,
    machine,
    async setSwitches(list) {
      await writeFile(`${switchesFile}.tmp`, JSON.stringify(Object.fromEntries(list.map((s) => [s, true]))));
      await rename(`${switchesFile}.tmp`, switchesFile);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function dispatch(
  handle: (req: RedfishRequest) => Promise<RedfishReply>,
  req: IncomingMessage,
  res: ServerResponse,
  log?: (line: string) => void,
): Promise<void> {
  let reply: RedfishReply;
  try {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> = {};
    if (raw.trim()) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        throw new RedfishFault(400, 'MalformedJSON', 'the request body is not valid JSON');
      }
    }
    const url = new URL(req.url ?? '/', 'http://bmc');
    reply = await handle({ method: req.method ?? 'GET', path: url.pathname, headers: req.headers, body });
  } catch (err) {
    reply =
      err instanceof RedfishFault
        ? { status: err.status, body: errorBody(err.messageId, err.message), headers: err.headers }
        : { status: 500, body: errorBody('InternalError', err instanceof Error ? err.message : String(err)) };
  }
  log?.(`${req.method} ${req.url} → ${reply.status}`);
  const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...(payload ? { 'content-type': 'application/json' } : {}),
    'odata-version': '4.0',
    ...reply.headers,
  });
  res.end(payload);
}
