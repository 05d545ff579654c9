import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { RedfishFault } from './redfish-reply.ts';

export interface BmcCredentials {
  username: string;
  password: string;
}

/** HTTP Basic and Redfish session (X-Auth-Token) authentication for the emulated BMC. */
export class BmcAuth {
  readonly #credentials: BmcCredentials;
  readonly sessions = new Map<string, { token: string; user: string }>();

  constructor(credentials: BmcCredentials) {
    this.#credentials = credentials;
  }

  /** Open a session for valid credentials; returns its id and token. */
  login(user: unknown, password: unknown): { id: string; token: string } {
    if (typeof user !== 'string' || typeof password !== 'string' || !this.#valid(user, password)) {
      throw new RedfishFault(401, 'NoValidSession', 'invalid user name or password');
    }
    const id = randomBytes(6).toString('hex');
    const token = randomBytes(24).toString('hex');
    this.sessions.set(id, { token, user });
    return { id, token };
  }

  logout(id: string): boolean {
    return this.sessions.delete(id);
  }

  /** Throw 401 unless the request carries valid Basic credentials or a live session token. */
  require(headers: IncomingHttpHeaders): void {
    const token = headers['x-auth-token'];
    if (typeof token === 'string' && [...this.sessions.values()].some((s) => s.token === token)) return;
    const basic = /^Basic\s+(\S+)$/i.exec(headers.authorization ?? '');
    if (basic?.[1]) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0 && this.#valid(decoded.slice(0, colon), decoded.slice(colon + 1))) return;
    }
    throw new RedfishFault(401, 'NoValidSession', 'authentication required (Basic or X-Auth-Token)', {
      'www-authenticate': 'Basic realm="ultracloud-lab-bmc"',
    });
  }

  #valid(user: string, password: string): boolean {
    const same = (a: string, b: string) => {
      const x = Buffer.from(a);
      const y = Buffer.from(b);
      return x.length === y.length && timingSafeEqual(x, y);
    };
    return same(user, this.#credentials.username) && same(password, this.#credentials.password);
  }
}
