/** Bad command line: the usage is printed and the exit status is 2. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export function positiveInt(value: string, option: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new CliUsageError(`--${option} must be a positive integer, not '${value}'`);
  }
  return Number(value);
}
