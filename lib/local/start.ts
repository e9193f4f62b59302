/**
 * `npm start`: the whole service on this machine, on loopback, with its data under `.data/`.
 * Options: --port N (HTTP API port, default 4566), --data-dir DIR, --no-demo.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_DATASET, seedDemo } from './demo.js';
import { claimLocalResources } from './preflight.js';
import { startLocalService } from './runtime.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4566' },
    'data-dir': { type: 'string', default: '.data' },
    'no-demo': { type: 'boolean', default: false },
    // The deployed sweeper runs every 15 minutes; locally a minute keeps the loop lively.
    'sweep-seconds': { type: 'string', default: '60' },
  },
});
const projectRoot = resolve(import.meta.dirname, '..', '..');
const started = Date.now();
const dataDir = resolve(projectRoot, values['data-dir']);
let claimed: { release(): void };
try {
  claimed = await claimLocalResources({ port: Number(values.port), dataDir });
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const service = await startLocalService({
  projectRoot,
  dataDir,
  port: Number(values.port),
  log: (entry) => console.error(JSON.stringify(entry)),
});
const seeded = values['no-demo'] ? false : await seedDemo(service.store, () => service.settled());

const api = service.apiUrl;
console.log(`
annoflow is running locally (started in ${((Date.now() - started) / 1000).toFixed(1)} s)

  HTTP API     ${api}
  S3           ${service.s3Endpoint}   bucket: ${service.model.mediaBucket}  (access key S3RVER / S3RVER)
  DynamoDB     ${service.dynamodbEndpoint}   table: ${service.model.tableName}
  StepFunctions ${service.stepFunctionsEndpoint}
  data         ${resolve(projectRoot, values['data-dir'])}${seeded ? `\n  demo         dataset '${DEMO_DATASET}' seeded: 6 images uploaded through S3, ground truth and predictions` : ''}

Try:
  curl ${api}/datasets
  curl ${api}/datasets/${DEMO_DATASET}
  curl "${api}/datasets/${DEMO_DATASET}/samples?limit=2"
  curl -X POST ${api}/datasets -H 'content-type: application/json' -d '{"name":"mine","mediaType":"image"}'
  curl -X POST ${api}/datasets/${DEMO_DATASET}/runs -H 'content-type: application/json' \\
       -d '{"annoKey":"review","labelField":"ground_truth","classes":["car","person"],"autoLoad":true}'
  curl ${api}/datasets/${DEMO_DATASET}/runs/review/status
  (then put an edited runs/${DEMO_DATASET}/review/tasks/<task>.json at its resultKey, runs/${DEMO_DATASET}/review/results/<task>.json for a key never used before: README "Your first annotation run")

Or with the CLI, in another terminal:
  export ANNOFLOW_ENDPOINT=${api} ANNOFLOW_BUCKET=${service.model.mediaBucket} AWS_ENDPOINT_URL_S3=${service.s3Endpoint}
  npx annoflow datasets show ${DEMO_DATASET}
  npx annoflow import mine ./some-folder-of-images/

Upload an image to s3://${service.model.mediaBucket}/datasets/<dataset>/… and it becomes a sample.
Ctrl-C stops; data is kept for the next start.
`);

const sweepSeconds = Number(values['sweep-seconds']);
const sweeper =
  sweepSeconds > 0
    ? setInterval(() => {
        service
          .runSchedules()
          .catch((error: unknown) =>
            console.error(
              JSON.stringify({ level: 'error', message: 'sweep failed', error: String(error) }),
            ),
          );
      }, sweepSeconds * 1000)
    : undefined;

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log('stopping…');
  if (sweeper) clearInterval(sweeper);
  await service.stop();
  claimed.release();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
