import { join } from 'node:path';
import { HttpError } from '../common/http-service.ts';
import { JsonStore } from '../common/json-store.ts';

export type Kind = 'pods' | 'services' | 'endpoints';

export interface ApiObject {
  kind: Kind;
  namespace: string;
  name: string;
  resourceVersion: number;
  labels?: Record<string, string>;
  spec: Record<string, unknown>;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resourceVersion: number;
  object: ApiObject;
}

interface State {
  resourceVersion: number;
  objects: Record<string, ApiObject>;
  /** the event history a watch resumes from (the oldest are trimmed) */
  events: WatchEvent[];
}

const keep = 2000;

/** The k8shost object store: every change bumps one resourceVersion and appends a watch event. */
export class ApiObjects {
  private readonly store: JsonStore<State>;
  private waiters: Array<() => void> = [];

  constructor(stateDir: string) {
    this.store = new JsonStore<State>(join(stateDir, 'objects.json'), () => ({
      resourceVersion: 0,
      objects: {},
      events: [],
    }));
  }

  get resourceVersion(): number {
    return this.store.get().resourceVersion;
  }

  list(kind: Kind, namespace?: string): ApiObject[] {
    return Object.values(this.store.get().objects).filter(
      (o) => o.kind === kind && (namespace === undefined || o.namespace === namespace),
    );
  }

  find(kind: Kind, namespace: string, name: string): ApiObject | undefined {
    return this.store.get().objects[`${kind}/${namespace}/${name}`];
  }

  get(kind: Kind, namespace: string, name: string): ApiObject {
    const o = this.find(kind, namespace, name);
    if (!o) throw new HttpError(404, `no ${kind.slice(0, -1)} "${namespace}/${name}"`);
    return o;
  }

  /** create (ADDED) or replace (MODIFIED) an object */
  put(object: Omit<ApiObject, 'resourceVersion'>, mustBeNew: boolean): ApiObject {
    const key = `${object.kind}/${object.namespace}/${object.name}`;
    const existing = this.store.get().objects[key];
    if (mustBeNew && existing) throw new HttpError(409, `${key} already exists`);
    const next = this.store.update((s) => {
      s.resourceVersion += 1;
      const stored = { ...object, resourceVersion: s.resourceVersion };
      s.objects[key] = stored;
      s.events.push({ type: existing ? 'MODIFIED' : 'ADDED', resourceVersion: s.resourceVersion, object: stored });
      s.events.splice(0, Math.max(0, s.events.length - keep));
    });
    this.wake();
    return next.objects[key] as ApiObject;
  }

  remove(kind: Kind, namespace: string, name: string): ApiObject {
    const gone = this.get(kind, namespace, name);
    this.store.update((s) => {
      s.resourceVersion += 1;
      delete s.objects[`${kind}/${namespace}/${name}`];
      s.events.push({
        type: 'DELETED',
        resourceVersion: s.resourceVersion,
        object: { ...gone, resourceVersion: s.resourceVersion },
      });
      s.events.splice(0, Math.max(0, s.events.length - keep));
    });
    this.wake();
    return gone;
  }

  /** events after `from`; 410 when the history no longer reaches back that far */
  eventsAfter(from: number): WatchEvent[] {
    const { events } = this.store.get();
    const oldest = events[0]?.resourceVersion;
    if (oldest !== undefined && from < oldest - 1) {
      throw new HttpError(410, `resourceVersion ${from} is too old; the oldest kept is ${oldest}`);
    }
    return events.filter((e) => e.resourceVersion > from);
  }

  /** resolve on the next change, or after timeoutMs */
  async nextChange(timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}
