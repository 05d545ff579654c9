import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  type CheckRegistration,
  formatRegistration,
  RegistrationError,
  readRegistration,
} from '../../helpers/check-registration.ts';
import { projectRoot, workTempDir } from '../../helpers/proof-root.ts';

const valid: CheckRegistration = {
  schema: 'ultracloud-proof/check-harness@1',
  node: process.execPath,
  cli: join(projectRoot, 'cli/main.ts'),
  check: 'deployer-vm-smoke',
  pid: process.pid,
  env: { PATH: '/usr/bin:/bin', ULTRACLOUD_LAB_FAULTS: 'nix-agent:compile-on-guest' },
};

async function registrationFile(text: string, mode = 0o600): Promise<string> {
  const file = join(await workTempDir('check-registration-'), 'check-harness.json');
  writeFileSync(file, text, { mode });
  chmodSync(file, mode);
  return file;
}

describe('the check-harness registration a lane check build reads', () => {
  it('is read back as written, node and cli on lines of their own', async () => {
    const text = formatRegistration(valid);
    expect(text).toContain(`\n  "node": "${valid.node}",\n`);
    expect(text).toContain(`\n  "cli": "${valid.cli}",\n`);
    expect(readRegistration('deployer-vm-smoke', await registrationFile(text))).toEqual(valid);
  });

  it('is refused when missing, naming the file', () => {
    expect(() => readRegistration('deployer-vm-smoke', '/nonexistent/check-harness.json')).toThrow(
      'no proof harness is registered for this build: /nonexistent/check-harness.json is missing',
    );
  });

  it('is refused when others may write it', async () => {
    const file = await registrationFile(formatRegistration(valid), 0o666);
    expect(() => readRegistration('deployer-vm-smoke', file)).toThrow(/must be owned by root and writable only by it/);
  });

  it('is refused for another check, naming both', async () => {
    const file = await registrationFile(formatRegistration(valid));
    expect(() => readRegistration('fleet-scheduler-e2e', file)).toThrow(
      'registers the harness for check deployer-vm-smoke, not fleet-scheduler-e2e',
    );
  });

  it('is refused when a field is bad, naming the field', async () => {
    const file = await registrationFile(JSON.stringify({ ...valid, node: 'node' }));
    expect(() => readRegistration('deployer-vm-smoke', file)).toThrow(RegistrationError);
    expect(() => readRegistration('deployer-vm-smoke', file)).toThrow(/node: must be an absolute path/);
  });

  it('cannot be written with a path the builder could not read', () => {
    expect(() => formatRegistration({ ...valid, cli: '/a "quoted" path' })).toThrow(/absolute path without quotes/);
  });
});

describe('ucproof check', () => {
  const ucproof = (args: string[]) =>
    execa(process.execPath, [join(projectRoot, 'cli/main.ts'), 'check', ...args], { reject: false });

  it('refuses a name that is not a lane check with exit 2, naming it', async () => {
    const r = await ucproof(['canonical-profile-eval-guards']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('NAME: "canonical-profile-eval-guards" is not a lane check of the reference flake');
  });

  it('refuses --out without --in-build with exit 2', async () => {
    const r = await ucproof(['--out', '/tmp/x', 'deployer-vm-smoke']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--out is for the builder (--in-build) only');
  });
});
