import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { projectRoot, workTempDir } from '../../helpers/proof-root.ts';

/**
 * What a person sees: `vitest --ui` (watch mode, in a real terminal) and the HTML report, loaded in headless
 * Chromium, show a lane's steps with their status and duration and its proof files as attachments.
 */
const vitestBin = join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs');
const config = join(projectRoot, 'tests', 'unit', 'fixtures', 'shard-project', 'vitest.config.ts');
const chromiumPath = '/usr/bin/chromium';
const steps = ['the target answers: passed in', 'the answer holds: passed in'];

let browser: Browser;
let workRoot: string;
const children: ChildProcess[] = [];
let server: Server | undefined;

beforeAll(async () => {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: scripts/setup.sh installs chromium`);
  workRoot = await workTempDir('vitest-ui-');
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
});

afterAll(async () => {
  await browser?.close();
  for (const c of children) if (c.pid && c.exitCode === null) process.kill(-c.pid, 'SIGKILL');
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await rm(workRoot, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Starts a command in a pseudo-terminal (util-linux `script`), its own process group, and waits for a line. */
async function inTerminal(command: string, waitFor: RegExp): Promise<ChildProcess> {
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: projectRoot,
    env: { ...process.env, ULTRACLOUD_WORK_ROOT: workRoot, FORCE_COLOR: '0', CI: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (waitFor.test(output)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${command} exited ${code} before ${waitFor}:\n${output}`)));
  });
  return child;
}

// each case waits on its own Vitest child and page (own run ids, one browser): they run side by side
describe.concurrent('what a person sees of a lane', () => {
  it('vitest --ui shows the lane’s steps with status and duration, and its proof files', async ({ expect }) => {
    const port = await freePort();
    await inTerminal(
      `${process.execPath} ${vitestBin} --ui --open=false --api.port=${port} --api.host=127.0.0.1 --config ${config} alpha`,
      /UI started at/,
    );
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/__vitest__/`);
    await page.getByText('shard-alpha', { exact: true }).first().click({ timeout: 60_000 });
    for (const step of steps) await page.getByText(step).first().waitFor({ timeout: 60_000 });
    await page.getByText('result.json', { exact: true }).first().waitFor();
    await page.screenshot({ path: join(workRoot, 'vitest-ui.png') });
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text, what a person sees
    const text = await page.innerText('body');
    expect(text).toMatch(/the target answers: passed in \d+ ms/);
    expect(text).toContain('proof root: work/shard-alpha/');
    expect(text).not.toContain('shard-beta');
  }, 120_000);

  it('the HTML report of `vitest run --reporter=html` shows the same', async ({ expect }) => {
    const out = join(workRoot, 'html');
    const run = spawn(
      process.execPath,
      [
        vitestBin,
        'run',
        '--config',
        config,
        '--reporter=html',
        `--outputFile.html=${join(out, 'index.html')}`,
        'alpha',
      ],
      { cwd: projectRoot, env: { ...process.env, ULTRACLOUD_WORK_ROOT: workRoot }, stdio: 'ignore' },
    );
    expect(await new Promise((resolve) => run.on('exit', resolve))).toBe(0);
    server = createServer(async (req, res) => {
      const path = normalize(join(out, decodeURIComponent((req.url ?? '/').split('?')[0] as string)));
      const file = path.endsWith('/') ? join(path, 'index.html') : path;
      if (!file.startsWith(out)) return res.writeHead(403).end();
      try {
        const body = await readFile(file);
        const type = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }[extname(file)];
        res.writeHead(200, type ? { 'content-type': type } : {}).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/index.html`);
    await page.getByText('shard-alpha', { exact: true }).first().click({ timeout: 60_000 });
    for (const step of steps) await page.getByText(step).first().waitFor({ timeout: 60_000 });
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text, what a person sees
    expect(await page.innerText('body')).toContain('result.json');
  }, 120_000);
});
