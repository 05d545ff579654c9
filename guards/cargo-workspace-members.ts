/** One entry of a Cargo workspace's `members` or `default-members` array, with the line it is on. */
export interface WorkspaceMember {
  readonly member: string;
  readonly line: number;
}

/**
 * The members of the `[workspace]` table of a Cargo.toml. Only what the guard needs: the `members` and
 * `default-members` arrays of string literals (one or many lines, `#` comments allowed); `exclude` is not
 * membership.
 */
export function cargoWorkspaceMembers(toml: string): WorkspaceMember[] {
  const lines = toml.split('\n');
  const members: WorkspaceMember[] = [];
  let inWorkspace = false;
  let inArray = false;
  lines.forEach((raw, index) => {
    const line = stripComment(raw).trim();
    if (!inArray && /^\[/.test(line)) {
      inWorkspace = /^\[\s*workspace\s*\]$/.test(line);
      return;
    }
    if (!inWorkspace) return;
    let rest = line;
    if (!inArray) {
      const start = /^(?:members|default-members)\s*=\s*\[(.*)$/.exec(line);
      if (!start) return;
      inArray = true;
      rest = start[1] ?? '';
    }
    const closeAt = rest.indexOf(']');
    const body = closeAt >= 0 ? rest.slice(0, closeAt) : rest;
    for (const m of body.matchAll(/"([^"]*)"|'([^']*)'/g)) {
      members.push({ member: m[1] ?? m[2] ?? '', line: index + 1 });
    }
    if (closeAt >= 0) inArray = false;
  });
  return members;
}

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}
