import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this suite runs from. */
export const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** The work root: ./work by default, moved with ULTRACLOUD_WORK_ROOT. */
export function workRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.ULTRACLOUD_WORK_ROOT || join(projectRoot, 'work'));
}
