import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../helpers/proof-root.ts';

const moduleUrl = pathToFileURL(join(projectRoot, 'cli', 'forward-interrupt.ts')).href;

// a parent like `ucproof proof`: spawns a child that counts the SIGINTs it gets and takes a while to tear down
const parentScript = `
import { spawn } from 'node:child_process';
import { forwardInterruptOnce } from ${JSON.stringify(moduleUrl)};
const child = spawn(process.execPath, ['-e', \`
  let n = 0;
  process.on('SIGINT', () => { n++; console.log('CHILD_SIGINT ' + n); setTimeout(() => process.exit(130), 800); });
  console.log('CHILD_READY');
  setInterval(() => {}, 1000);
\`], { stdio: ['ignore', 'inherit', 'inherit'] });
const signals = forwardInterruptOnce(child, () => console.log('PARENT_REPEAT'));
child.on('exit', (code) => { signals.dispose(); console.log('PARENT_DONE ' + signals.interrupted + ' ' + code); });
`;

describe('ucproof proof interruption', () => {
  it('passes the first SIGINT on to the child and not a second one', async () => {
    const parent = spawn(process.execPath, ['--input-type=module', '-e', parentScript], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let sent = 0;
    parent.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (sent === 0 && output.includes('CHILD_READY')) {
        sent = 1;
        parent.kill('SIGINT');
      } else if (sent === 1 && output.includes('CHILD_SIGINT 1')) {
        sent = 2;
        parent.kill('SIGINT');
      }
    });
    parent.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await new Promise((resolve) => parent.on('exit', resolve));
    expect(output).toContain('CHILD_SIGINT 1');
    expect(output).not.toContain('CHILD_SIGINT 2');
    expect(output).toContain('PARENT_REPEAT');
    expect(output).toContain('PARENT_DONE true 130');
  });
});
