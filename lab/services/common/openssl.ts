/** Run the openssl CLI; a failure names the subcommand and carries openssl's own message. */
export async function openssl(args: string[]): Promise<string> {
  // execa is loaded on first use: most service processes never run a command, and it is a large import
  const { execa } = await import('execa');
  const res = await execa('openssl', args, { reject: false, timeout: 30_000 });
  if (res.exitCode !== 0) {
    throw new Error(
      `openssl ${args[0] ?? ''} failed (${res.exitCode ?? res.signal}): ${String(res.stderr || res.message || '').trim()}`,
    );
  }
  return res.stdout;
}

export interface SelfSignedOptions {
  keyFile: string;
  certFile: string;
  /** e.g. "/CN=lb.example" */
  subject: string;
  /** -addext values, e.g. "subjectAltName=DNS:lb.example" */
  extensions?: string[];
  days?: number;
}

/** A self-signed P-256 certificate and its key, made by `openssl req -x509` (no hand-written TLS or X.509). */
export async function selfSignedCertificate(o: SelfSignedOptions): Promise<void> {
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    String(o.days ?? 30),
    '-subj',
    o.subject,
    ...(o.extensions ?? []).flatMap((e) => ['-addext', e]),
    '-keyout',
    o.keyFile,
    '-out',
    o.certFile,
  ]);
}
