import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitProgress } from '../../harness/run-lane.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('waitProgress', () => {
  it('names what a long wait awaits with the time spent and left, every 10 s, until stopped', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const lines: string[] = [];
    const stop = waitProgress('node05 is lost', 60_000, (l) => lines.push(l));
    vi.advanceTimersByTime(25_000);
    expect(lines).toEqual([
      '… awaiting "node05 is lost": 10 s so far, 50 s left',
      '… awaiting "node05 is lost": 20 s so far, 40 s left',
    ]);
    stop();
    vi.advanceTimersByTime(30_000);
    expect(lines).toHaveLength(2);
  });

  it('says nothing for a short wait', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const lines: string[] = [];
    const stop = waitProgress('a quick answer', 20_000, (l) => lines.push(l));
    vi.advanceTimersByTime(20_000);
    stop();
    expect(lines).toEqual([]);
  });
});
