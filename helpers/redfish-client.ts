import { readFileSync } from 'node:fs';
import { Agent, fetch } from 'undici';
import { HarnessError } from '../contracts/errors.ts';
import { registerSecret } from './redact.ts';
import { RedfishError } from './redfish-error.ts';

export interface RedfishClientOptions {
  /** the BMC's base URL, e.g. https://10.0.0.5 or http://127.0.0.1:8443 */
  url: string;
  username: string;
  password: string;
  /** HTTP Basic on every call (default), or a Redfish session (X-Auth-Token) */
  auth?: 'basic' | 'session';
  /** PEM file of the CA that signed the BMC's certificate */
  caFile?: string;
  /** accept any certificate (self-signed BMCs) */
  insecure?: boolean;
  timeoutMs?: number;
  /** one line per call: method, path, status */
  log?: (line: string) => void;
}

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  body: Json;
  etag: string | undefined;
  headers: Headers;
}

export type ResetType = 'On' | 'ForceOff' | 'GracefulShutdown' | 'ForceRestart';

/**
 * A Redfish client for the calls hardware bring-up needs: discover the system and its CD virtual media, insert and
 * eject an image, set a one-time boot override, and reset. It copes with the usual BMC quirks: PATCH with the
 * resource's ETag in If-Match, and the Boot override sent with the BootSourceOverrideMode the BMC reports.
 */
export class RedfishClient implements AsyncDisposable {
  readonly base: string;
  readonly options: RedfishClientOptions;
  systemPath = '';
  virtualMediaPath = '';
  #agent: Agent;
  #token: string | undefined;
  #sessionPath: string | undefined;

  private constructor(options: RedfishClientOptions) {
    this.options = options;
    this.base = options.url.replace(/\/+$/, '');
    registerSecret(options.password);
    const ca = options.caFile ? readFileSync(options.caFile, 'utf8') : undefined;
    this.#agent = new Agent({ connect: { ca, rejectUnauthorized: !options.insecure } });
  }

  /** Log in (session auth) and discover the first system and its CD/DVD virtual media. */
  static async connect(options: RedfishClientOptions): Promise<RedfishClient> {
    const client = new RedfishClient(options);
    try {
      const root = await client.call('ServiceRoot', 'GET', '/redfish/v1', undefined, { anonymous: true });
      if (options.auth === 'session') await client.#login(root.body);
      await client.#discover(root.body);
      return client;
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  async getSystem(): Promise<Json & { PowerState?: string; Boot?: Json }> {
    return (await this.call('ComputerSystem.Get', 'GET', this.systemPath)).body;
  }

  async getVirtualMedia(): Promise<Json & { Inserted?: boolean; Image?: string | null }> {
    return (await this.call('VirtualMedia.Get', 'GET', this.virtualMediaPath)).body;
  }

  async insertMedia(image: string): Promise<void> {
    const target = await this.#actionTarget(this.virtualMediaPath, '#VirtualMedia.InsertMedia');
    await this.call('VirtualMedia.InsertMedia', 'POST', target, { Image: image, Inserted: true, WriteProtected: true });
  }

  async ejectMedia(): Promise<void> {
    const target = await this.#actionTarget(this.virtualMediaPath, '#VirtualMedia.EjectMedia');
    await this.call('VirtualMedia.EjectMedia', 'POST', target, {});
  }

  /** Boot once from `target` (Cd by default): PATCH Boot with If-Match and the reported override mode. */
  async setOneTimeBoot(target = 'Cd'): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.call('ComputerSystem.Get', 'GET', this.systemPath);
      const boot = (current.body.Boot ?? {}) as Json;
      const mode = typeof boot.BootSourceOverrideMode === 'string' ? boot.BootSourceOverrideMode : undefined;
      const patch = {
        Boot: {
          BootSourceOverrideTarget: target,
          BootSourceOverrideEnabled: 'Once',
          ...(mode ? { BootSourceOverrideMode: mode } : {}),
        },
      };
      const headers = current.etag ? { 'If-Match': current.etag } : undefined;
      try {
        await this.call('ComputerSystem.BootOverride', 'PATCH', this.systemPath, patch, { headers });
        return;
      } catch (err) {
        // another writer changed the system between our GET and PATCH: read the new ETag once more
        if (!(err instanceof RedfishError && err.status === 412 && attempt < 3)) throw err;
      }
    }
  }

  async reset(type: ResetType): Promise<void> {
    const target = await this.#actionTarget(this.systemPath, '#ComputerSystem.Reset');
    await this.call('ComputerSystem.Reset', 'POST', target, { ResetType: type });
  }

  /** One Redfish call; a non-2xx answer becomes a RedfishError naming `action`. */
  async call(
    action: string,
    method: string,
    path: string,
    body?: unknown,
    opts: { headers?: Record<string, string>; anonymous?: boolean } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json', 'OData-Version': '4.0', ...opts.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (!opts.anonymous) Object.assign(headers, this.#authHeaders());
    let res: Awaited<ReturnType<typeof fetch>>;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new HarnessError(`Redfish ${action} (${method} ${path}): cannot reach the BMC at ${this.base}: ${cause}`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // a non-JSON body is kept as text for the error message
    }
    this.options.log?.(`redfish ${method} ${path} → ${res.status}`);
    if (!res.ok) throw new RedfishError(action, method, path, res.status, parsed);
    const json = (parsed && typeof parsed === 'object' ? parsed : {}) as Json;
    const etag = res.headers.get('etag') ?? (typeof json['@odata.etag'] === 'string' ? json['@odata.etag'] : undefined);
    return { status: res.status, body: json, etag, headers: res.headers as unknown as Headers };
  }

  async close(): Promise<void> {
    if (this.#sessionPath) {
      await this.call('SessionService.Logout', 'DELETE', this.#sessionPath).catch(() => {});
      this.#sessionPath = undefined;
    }
    await this.#agent.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #authHeaders(): Record<string, string> {
    if (this.#token) return { 'X-Auth-Token': this.#token };
    const basic = Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64');
    registerSecret(basic);
    return { authorization: `Basic ${basic}` };
  }

  async #login(root: Json): Promise<void> {
    const links = (root.Links ?? {}) as Json;
    const sessions = odataId(links.Sessions) ?? '/redfish/v1/SessionService/Sessions';
    const credentials = { UserName: this.options.username, Password: this.options.password };
    const answer = await this.call('SessionService.Login', 'POST', sessions, credentials, { anonymous: true });
    const token = answer.headers.get('x-auth-token');
    if (!token) throw new HarnessError(`Redfish SessionService.Login (POST ${sessions}) returned no X-Auth-Token`);
    registerSecret(token);
    this.#token = token;
    const location = answer.headers.get('location') ?? odataId(answer.body);
    this.#sessionPath = location ? new URL(location, this.base).pathname : undefined;
  }

  async #discover(root: Json): Promise<void> {
    const systems = odataId(root.Systems);
    if (!systems) throw new HarnessError('Redfish service root lists no Systems collection');
    const first = odataId(((await this.call('Systems.List', 'GET', systems)).body.Members as unknown[])?.[0]);
    if (!first) throw new HarnessError(`Redfish ${systems} has no members`);
    this.systemPath = first;
    const system = (await this.call('ComputerSystem.Get', 'GET', first)).body;
    const collections = [odataId(system.VirtualMedia)];
    const managers = odataId(root.Managers);
    if (managers) {
      for (const m of ((await this.call('Managers.List', 'GET', managers)).body.Members as unknown[]) ?? []) {
        const path = odataId(m);
        if (path) collections.push(odataId((await this.call('Manager.Get', 'GET', path)).body.VirtualMedia));
      }
    }
    for (const collection of collections.filter((c): c is string => Boolean(c))) {
      const members = ((await this.call('VirtualMedia.List', 'GET', collection)).body.Members as unknown[]) ?? [];
      for (const member of members) {
        const path = odataId(member);
        if (!path) continue;
        const media = (await this.call('VirtualMedia.Get', 'GET', path)).body;
        const types = (media.MediaTypes as string[] | undefined) ?? [];
        if (types.includes('CD') || types.includes('DVD')) {
          this.virtualMediaPath = path;
          return;
        }
      }
    }
    throw new HarnessError(`Redfish BMC at ${this.base} offers no CD/DVD virtual media`);
  }

  async #actionTarget(resource: string, action: string): Promise<string> {
    const body = (await this.call(`${action.slice(1)}.Discover`, 'GET', resource)).body;
    const target = ((body.Actions as Json | undefined)?.[action] as Json | undefined)?.target;
    return typeof target === 'string' ? target : `${resource}/Actions/${action.slice(1)}`;
  }
}

function odataId(value: unknown): string | undefined {
  if (value && typeof value === 'object' && typeof (value as Json)['@odata.id'] === 'string') {
    return (value as Json)['@odata.id'] as string;
  }
  return undefined;
}
