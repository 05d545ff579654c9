/**
 * Secrets never reach an artifact or a log. Known secret values are registered as they are created; patterns
 * catch the shapes secrets take on the command line and in configuration (bootstrap tokens, passwords, keys).
 */
const knownSecrets = new Set<string>();

export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) knownSecrets.add(value);
}

const patterns: Array<[RegExp, string]> = [
  [/(ultracloud\.bootstrap_token=)\S+/g, '$1[REDACTED]'],
  [
    /("?(?:bootstrap_?token|password|passwd|secret|api_?key|private_?key|token)"?\s*[:=]\s*"?)([^\s",]+)/gi,
    '$1[REDACTED]',
  ],
  [/(Authorization:\s*(?:Bearer|Basic)\s+)\S+/gi, '$1[REDACTED]'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '[REDACTED PRIVATE KEY]'],
  [/(https?:\/\/[^:/\s]+:)[^@/\s]+@/g, '$1[REDACTED]@'],
];

export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) out = out.split(secret).join('[REDACTED]');
  for (const [re, rep] of patterns) out = out.replace(re, rep);
  return out;
}

export function redactValue<T>(value: T): T {
  return JSON.parse(redact(JSON.stringify(value))) as T;
}
