import { describe, expect, it } from 'vitest';
import { progressBar, statusLine } from '../../../lib/cli/progress.js';

const stream = (isTTY: boolean) => {
  const written: string[] = [];
  return { isTTY, columns: 60, written, write: (text: string) => written.push(text) };
};

describe('Function: progressBar', () => {
  it('redraws one line in place on a terminal and ends it when done', () => {
    const tty = stream(true);
    const bar = progressBar(tty, 'uploading', 4);
    bar.update(4);
    bar.done();
    bar.done();
    expect(tty.written[0]).toMatch(/^\ruploading \[-+\]\s+0% 0\/4$/);
    expect(tty.written.at(-2)).toMatch(/^\ruploading \[#+\] 100% 4\/4$/);
    expect(tty.written.at(-1)).toBe('\n');
    expect(tty.written.filter((text) => text === '\n')).toHaveLength(1);
  });

  it('writes nothing when the stream is not a terminal, or there is nothing to count', () => {
    const piped = stream(false);
    const bar = progressBar(piped, 'uploading', 4);
    bar.update(2);
    bar.done();
    const empty = stream(true);
    progressBar(empty, 'importing', 0).done();
    expect([...piped.written, ...empty.written]).toEqual([]);
  });
});

describe('Function: statusLine', () => {
  it('redraws one line in place on a terminal, blanking a longer previous text', () => {
    const tty = stream(true);
    const line = statusLine(tty, 'load k');
    line.update('running, run loading');
    line.update('running, run loading');
    line.update('succeeded');
    line.done();
    line.done();
    expect(tty.written).toEqual([
      '\rload k: running, run loading',
      `\r${'load k: succeeded'.padEnd('load k: running, run loading'.length)}`,
      '\n',
    ]);
  });

  it('writes one plain line per change when the stream is not a terminal', () => {
    const piped = stream(false);
    const line = statusLine(piped, 'load k');
    line.update('running');
    line.update('running');
    line.update('succeeded');
    line.done();
    expect(piped.written).toEqual(['load k: running\n', 'load k: succeeded\n']);
  });
});
