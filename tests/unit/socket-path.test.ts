import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceSocketPath } from '../../lab/services/common/socket-path.ts';

describe('serviceSocketPath', () => {
  it('keeps a short socket beside its state', () => {
    expect(serviceSocketPath('/w/lab/ab12cd/nodes/node06/state/fiberlb', 'haproxy.sock')).toBe(
      '/w/lab/ab12cd/nodes/node06/state/fiberlb/haproxy.sock',
    );
  });

  it('moves a socket HAProxy would refuse (over 97 bytes) into the temporary folder, one name per state folder', () => {
    const deep = '/check/work/main/work/tmp/ucp-cluster-up-abcdef/lab/fa1aea/nodes/node06/state/fiberlb';
    const other = '/check/work/main/work/tmp/ucp-cluster-up-abcdef/lab/fa1aea/nodes/node05/state/fiberlb';
    expect(Buffer.byteLength(join(deep, 'haproxy.sock'))).toBeGreaterThan(90);
    const a = serviceSocketPath(deep, 'haproxy.sock');
    expect(a.startsWith(tmpdir())).toBe(true);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(90);
    expect(serviceSocketPath(deep, 'haproxy.sock')).toBe(a);
    expect(serviceSocketPath(other, 'haproxy.sock')).not.toBe(a);
  });

  it('gives HAProxy a stats socket path its config check accepts, for a state folder 98 bytes deep', () => {
    const haproxy = spawnSync('haproxy', ['-v']);
    if (haproxy.error) return expect.fail('haproxy is not installed (scripts/setup.sh installs it)');
    const base = join(tmpdir(), `ucp-sockpath-${process.pid}`);
    // beside the state, the socket would be exactly 98 bytes: one more than HAProxy accepts
    const state = join(base, 'x'.repeat(78 - base.length), 'state');
    expect(Buffer.byteLength(join(state, 'haproxy.sock'))).toBe(98);
    mkdirSync(state, { recursive: true });
    try {
      const cfg = join(state, 'haproxy.cfg');
      writeFileSync(cfg, `global\n  stats socket ${serviceSocketPath(state, 'haproxy.sock')} mode 600 level admin\n`);
      const check = spawnSync('haproxy', ['-c', '-q', '-f', cfg], { encoding: 'utf8' });
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
