/**
 * The `annoflow` command: drives the HTTP API of the local runtime or a deployed stack.
 * `npx annoflow --help` (through `bin/annoflow.mjs`) or `tsx bin/annoflow.ts --help`.
 */
import { main } from '../lib/cli/main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
