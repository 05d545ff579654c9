import { describe, expect, it } from 'vitest';
import { MarkerParser, markersInLine, stripTerminalEscapes } from '../../helpers/markers.ts';

const consoleBytes = Buffer.from(
  [
    '\u0000\u0000\u00ff\u00fe SeaBIOS (version 1.16)\r\n',
    '\u001b[2J\u001b[H\u001b]0;ultracloud installer\u0007\u001b(B\u001b)0',
    '[    1.234] ULTRACLOUD_MARKER pre-install.boot.node01\r\n',
    '\u001b[1;32mULTRACLOUD_MARKER\u001b[0m pre-install.phone-home.complete.node01 → deployer ok\n',
    'progress 10%\rprogress 100%\rULTRACLOUD_MARKER install.bundle-downloaded.node01\r',
    'no marker: ULTRACLOUD_MARKERS x, ULTRACLOUD_MARKER\n',
    'garbage\u0000\u001b[0mULTRACLOUD_MARKER install.disko.complete.node01\ttook=3s\r\n',
    '\u001bP1$r0m\u001b\\ULTRACLOUD_MARKER desired-system-active.control generation=7 日本\n',
  ].join(''),
);
const expected = [
  'pre-install.boot.node01',
  'pre-install.phone-home.complete.node01',
  'install.bundle-downloaded.node01',
  'install.disko.complete.node01',
  'desired-system-active.control',
];

function parseInChunks(bytes: Uint8Array, cuts: number[]): string[] {
  const parser = new MarkerParser();
  const names: string[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    names.push(...parser.push(bytes.subarray(start, cut)).map((e) => e.name));
    start = cut;
  }
  names.push(...parser.end().map((e) => e.name));
  return names;
}

describe('MarkerParser', () => {
  it('finds every marker of a noisy console read in one chunk', () => {
    expect(parseInChunks(consoleBytes, [])).toEqual(expected);
  });

  it('finds the same markers whatever single byte the stream is split at', () => {
    for (let cut = 1; cut < consoleBytes.length; cut++) {
      expect(parseInChunks(consoleBytes, [cut]), `split at byte ${cut}`).toEqual(expected);
    }
  });

  it('finds the same markers when the stream arrives one byte at a time', () => {
    const cuts = Array.from({ length: consoleBytes.length - 1 }, (_, i) => i + 1);
    expect(parseInChunks(consoleBytes, cuts)).toEqual(expected);
  });

  it('finds the same markers under many random chunkings', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 200; round++) {
      const cuts = Array.from({ length: 1 + Math.floor(random() * 20) }, () =>
        Math.floor(random() * consoleBytes.length),
      )
        .filter((c) => c > 0)
        .sort((a, b) => a - b);
      expect(parseInChunks(consoleBytes, [...new Set(cuts)]), `cuts ${cuts.join(',')}`).toEqual(expected);
    }
  });

  it('decodes a multi-byte character split between chunks', () => {
    const bytes = Buffer.from('ULTRACLOUD_MARKER reboot.node01 ✓\n');
    const check = bytes.indexOf(Buffer.from('✓'));
    const parser = new MarkerParser();
    expect(parser.push(bytes.subarray(0, check + 1))).toHaveLength(1);
    const rest = parser.push(bytes.subarray(check + 1));
    expect(rest).toEqual([]);
  });

  it('reports the whole line with escapes removed and a timestamp', () => {
    const [event] = new MarkerParser().push('\u001b[33mULTRACLOUD_MARKER reboot.node02 now\u001b[0m\n');
    expect(event?.name).toBe('reboot.node02');
    expect(event?.line).toBe('ULTRACLOUD_MARKER reboot.node02 now');
    expect(Number.isNaN(Date.parse(event?.at ?? ''))).toBe(false);
  });

  it('reports a marker on an unterminated line once its name is followed by whitespace, and only once', () => {
    const parser = new MarkerParser();
    expect(parser.push('ULTRACLOUD_MARKER post-install.boot')).toEqual([]);
    expect(parser.push('.node01 ').map((e) => e.name)).toEqual(['post-install.boot.node01']);
    expect(parser.push('extra text\n')).toEqual([]);
    expect(parser.end()).toEqual([]);
  });

  it('reports the last unterminated line when the stream ends', () => {
    const parser = new MarkerParser();
    expect(parser.push('ULTRACLOUD_MARKER reboot.node01')).toEqual([]);
    expect(parser.end().map((e) => e.name)).toEqual(['reboot.node01']);
  });

  it('keeps working after a long line with no line break (binary garbage)', () => {
    const parser = new MarkerParser();
    const garbage = Buffer.alloc(600 * 1024, 0x41);
    expect(parser.push(garbage)).toEqual([]);
    expect(parser.push('\nULTRACLOUD_MARKER reboot.node03\n').map((e) => e.name)).toEqual(['reboot.node03']);
  });
});

describe('markersInLine and stripTerminalEscapes', () => {
  it('ignores the keyword without a name, glued to another word, or followed by a malformed name', () => {
    expect(markersInLine('ULTRACLOUD_MARKER')).toEqual([]);
    expect(markersInLine('ULTRACLOUD_MARKERS install.x')).toEqual([]);
    expect(markersInLine('ULTRACLOUD_MARKER install.x%y')).toEqual([]);
    expect(markersInLine('echo ULTRACLOUD_MARKER a.b c ULTRACLOUD_MARKER d.e')).toEqual(['a.b', 'd.e']);
  });

  it('removes CSI, OSC, DCS, charset selects and control bytes but keeps text and tabs', () => {
    const raw = '\u001b[?25l\u001b]2;title\u001b\\\u001b(0\u001b#8a\tb\u0007\u0000\u009b1mc\u001bPdata\u001b\\d';
    expect(stripTerminalEscapes(raw)).toBe('a\tbcd');
  });
});
