import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  resultReportSchema,
  resultToAnnotations,
  taskManifestSchema,
} from '../../../../lib/backends/files/index.js';

const README = readFileSync(
  new URL('../../../../lib/backends/files/README.md', import.meta.url),
  'utf8',
);

/** The JSON block after `<!-- example:<name> -->` in the README. */
function example(name: string): unknown {
  const match = new RegExp(`<!-- example:${name} -->\\s*\`\`\`json\\n([\\s\\S]*?)\`\`\``).exec(
    README,
  );
  if (!match?.[1]) throw new Error(`README has no example '${name}'`);
  return JSON.parse(match[1]);
}

describe('Document: lib/backends/files/README.md', () => {
  const manifest = taskManifestSchema.parse(example('manifest'));

  it('shows a manifest of the documented shape', () => {
    expect(manifest.samples).toHaveLength(2);
  });

  it('shows a result that reads as exactly the annotations it shows', () => {
    const conversion = resultToAnnotations(example('result'), {
      labelSchema: manifest.labelSchema,
      taskId: manifest.taskId,
      sampleIds: manifest.samples.map((sample) => sample.id),
    });

    expect(conversion).toEqual({ ok: true, annotations: example('annotations') });
  });

  it('shows a report of the documented shape, with messages the backend writes', () => {
    const report = resultReportSchema.parse(example('report'));
    const result = example('result') as {
      samples: Array<{ fields: { ground_truth: { detections: Array<Record<string, unknown>> } } }>;
    };
    const [first] = result.samples;
    if (!first) throw new Error('the example result has samples');
    (first.fields.ground_truth.detections[1] as Record<string, unknown>).bounding_box = 'wide';
    result.samples.pop();

    const conversion = resultToAnnotations(result, {
      labelSchema: manifest.labelSchema,
      taskId: manifest.taskId,
      sampleIds: manifest.samples.map((sample) => sample.id),
    });

    expect(conversion).toEqual({ ok: false, issues: report.issues, issueCount: report.issueCount });
  });
});
