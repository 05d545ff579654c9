import { z } from 'zod';

export const HealthCheck = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tcp'), intervalMs: z.number().int().min(100).default(500) }),
  z.object({
    kind: z.literal('http'),
    path: z.string().startsWith('/').default('/'),
    expectStatus: z.number().int().min(100).max(599).default(200),
    intervalMs: z.number().int().min(100).default(500),
  }),
]);
export type HealthCheck = z.infer<typeof HealthCheck>;

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'lower-case letters, digits and "-"');

export const Backend = z.object({
  name,
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  drained: z.boolean().default(false),
});
export type Backend = z.infer<typeof Backend>;

export const Pool = z.object({
  name,
  healthCheck: HealthCheck.default({ kind: 'tcp', intervalMs: 500 }),
  backends: z.array(Backend).default([]),
});
export type Pool = z.infer<typeof Pool>;

/**
 * Tcp: plain L4. Https: TLS terminated at the balancer, HTTP to backends. TerminatedHttps: TLS terminated at the
 * balancer, the decrypted stream passed to backends at L4. Http: plain L7.
 */
export const ListenerProtocol = z.enum(['tcp', 'http', 'https', 'terminated-https']);
export type ListenerProtocol = z.infer<typeof ListenerProtocol>;

export const Listener = z
  .object({
    name,
    protocol: ListenerProtocol,
    port: z.number().int().min(1).max(65535),
    pool: name,
    certificate: name.optional(),
  })
  .refine((l) => !l.protocol.includes('https') || l.certificate, {
    message: 'a TLS listener needs a certificate',
    path: ['certificate'],
  });
export type Listener = z.infer<typeof Listener>;

export interface Certificate {
  name: string;
  commonName: string;
  /** cert + key, as HAProxy reads it */
  pemPath: string;
  sha256Fingerprint: string;
}

export interface LbState {
  certificates: Record<string, Certificate>;
  pools: Record<string, Pool>;
  listeners: Record<string, Listener>;
}
