import { z } from 'zod';

/** One problem found in a result file, located by its JSON path (`samples[2].fields.gt`). */
export const resultIssueSchema = z.object({ path: z.string(), message: z.string() });
export type ResultIssue = z.infer<typeof resultIssueSchema>;

/** Enough to fix a file in one round; a result with thousands of the same mistake says so. */
export const MAX_REPORTED_ISSUES = 100;

/** Collects every problem of a result (up to a cap) so one report lists them all. */
export class IssueList {
  readonly issues: ResultIssue[] = [];
  count = 0;

  add(path: string, message: string): void {
    this.count += 1;
    if (this.issues.length < MAX_REPORTED_ISSUES) this.issues.push({ path, message });
  }

  /** Adds a zod failure's issues under `base` (the path of the value that was parsed). */
  addZod(base: string, error: z.ZodError): void {
    for (const issue of error.issues) {
      // A bad record key nests the key's own failure, which says what a key must be.
      const message =
        issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
      this.add(joinPath(base, issue.path), message);
    }
  }

  get empty(): boolean {
    return this.count === 0;
  }
}

/** `samples[0].fields.gt`: indexes in brackets, keys after dots, as the docs write paths. */
export function joinPath(base: string, path: ReadonlyArray<PropertyKey>): string {
  let out = base;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
