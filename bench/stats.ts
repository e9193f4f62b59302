/** Small helpers the benchmarks share: order statistics, formatting, the machine line. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile (q in [0, 1]) of a non-empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  const lowValue = sorted[low] as number;
  return lowValue + ((sorted[high] as number) - lowValue) * (at - low);
}

export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
export const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

/** `goal <what>: met` or `NOT met`, the line every benchmark ends with. */
export function goalLine(what: string, met: boolean): string {
  return `goal ${what}: ${met ? 'met' : 'NOT met'}`;
}

export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  // The load average says how busy the (shared) machine was: absolute times scale with it.
  const load = loadavg()[0]?.toFixed(1) ?? '?';
  return `machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${load}`;
}

/** Left-aligned first column, right-aligned others. */
export function row(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells
    .map((cell, index) => {
      const width = widths[index] ?? 10;
      return index === 0 ? String(cell).padEnd(width) : String(cell).padStart(width);
    })
    .join(' ');
}

/**
 * This process's peak RSS in KiB. On Linux from `VmHWM`, which starts afresh with the
 * process image: `ru_maxrss` (`process.resourceUsage().maxRSS`) survives `execve`, so a
 * child would report at least its parent's RSS at the time of the fork.
 */
export function peakRssKiB(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    if (match?.[1]) return Number(match[1]);
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS;
}
