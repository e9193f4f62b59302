/**
 * `npm run bench -- --only=cvat`: bench/cvat.ts at two sizes with the same tasks and jobs
 * and 10× the boxes per sample, each in its own process. CVAT requests per job must be the
 * same at both sizes: the backend's cost grows with jobs, never with labels.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { goalLine, row } from './stats.js';

interface CvatFigure {
  samples: number;
  boxes: number;
  labels: number;
  jobs: number;
  uploadLabelsPerSecond: number;
  loadLabelsPerSecond: number;
  uploadRequestsPerJob: number;
  loadRequestsPerJob: number;
  contractViolations: number;
  peakRssMiB: number;
}

const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const script = fileURLToPath(new URL('./cvat.ts', import.meta.url));

function runCvat(samples: number, boxes: number): CvatFigure {
  const output = execFileSync(tsx, [script, String(samples), String(boxes)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 1 << 28,
  });
  return JSON.parse(output.trim().split('\n').at(-1) as string) as CvatFigure;
}

export function benchCvat(quick: boolean): void {
  console.log(
    '\nbench/cvat — the CVAT backend through the API on the embedded runtime, against the emulator (tasks of 50 samples, jobs of 25)',
  );
  const widths = [9, 7, 9, 6, 17, 15, 17, 15, 13];
  console.log(
    row(
      [
        'samples',
        'boxes',
        'labels',
        'jobs',
        'upload labels/s',
        'load labels/s',
        'upload req/job',
        'load req/job',
        'peak RSS MiB',
      ],
      widths,
    ),
  );
  const samples = quick ? 50 : 200;
  const figures = [5, 50].map((boxes) => runCvat(samples, boxes));
  for (const figure of figures) {
    console.log(
      row(
        [
          figure.samples,
          figure.boxes,
          figure.labels,
          figure.jobs,
          figure.uploadLabelsPerSecond,
          figure.loadLabelsPerSecond,
          figure.uploadRequestsPerJob,
          figure.loadRequestsPerJob,
          figure.peakRssMiB,
        ],
        widths,
      ),
    );
  }
  console.log(
    '  (the emulator validates every request and response against the published schema in-process; read labels/s as a floor)',
  );
  const [small, large] = figures as [CvatFigure, CvatFigure];
  const constant =
    small.uploadRequestsPerJob === large.uploadRequestsPerJob &&
    small.loadRequestsPerJob === large.loadRequestsPerJob;
  console.log(
    goalLine(
      `CVAT requests per job constant at ${small.labels} and ${large.labels} labels (upload ${small.uploadRequestsPerJob}/${large.uploadRequestsPerJob}, load ${small.loadRequestsPerJob}/${large.loadRequestsPerJob})`,
      constant,
    ),
  );
  console.log(
    goalLine(
      'no contract violation',
      figures.every((figure) => figure.contractViolations === 0),
    ),
  );
}
