/**
 * `node --import tsx cdk/build-function-cli.ts '<FunctionBuildRequest as JSON>'`: builds one
 * function's asset. CDK bundling is synchronous and esbuild plugins run only in its
 * asynchronous API, so `ProjectFunction` runs this in a child process at synth.
 */
import { buildFunction, functionBuildRequestSchema } from './function-build.js';

const request = functionBuildRequestSchema.parse(JSON.parse(process.argv[2] ?? 'null'));
await buildFunction(request);
