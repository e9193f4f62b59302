import { isAnnoflowError } from '../errors/index.js';
import { deterministicObjectId } from '../labels/object-id.js';
import type { Store } from '../store/store.js';
import { encodePng } from './png.js';

export const DEMO_DATASET = 'demo';

const WIDTH = 160;
const HEIGHT = 120;
type Box = { label: 'car' | 'person'; x: number; y: number; w: number; h: number };

/** Six street scenes: a grey road with cars (red) and people (blue) drawn as boxes. */
const SCENES: Box[][] = [
  [
    { label: 'car', x: 10, y: 60, w: 50, h: 30 },
    { label: 'person', x: 100, y: 40, w: 12, h: 40 },
  ],
  [{ label: 'car', x: 60, y: 70, w: 60, h: 35 }],
  [
    { label: 'person', x: 30, y: 30, w: 15, h: 45 },
    { label: 'person', x: 70, y: 35, w: 14, h: 42 },
  ],
  [
    { label: 'car', x: 5, y: 50, w: 45, h: 28 },
    { label: 'car', x: 90, y: 55, w: 55, h: 32 },
  ],
  [
    { label: 'person', x: 120, y: 20, w: 16, h: 50 },
    { label: 'car', x: 20, y: 75, w: 40, h: 25 },
  ],
  [{ label: 'car', x: 50, y: 40, w: 70, h: 45 }],
];

function draw(boxes: Box[]): Buffer {
  return encodePng(WIDTH, HEIGHT, (x, y) => {
    for (const box of boxes) {
      if (x >= box.x && x < box.x + box.w && y >= box.y && y < box.y + box.h) {
        return box.label === 'car' ? [200, 40, 40] : [40, 60, 210];
      }
    }
    return y > 45 ? [90, 90, 95] : [150, 200, 235];
  });
}

const relative = (box: Box): [number, number, number, number] => [
  box.x / WIDTH,
  box.y / HEIGHT,
  box.w / WIDTH,
  box.h / HEIGHT,
];

/**
 * Seeds the demo dataset the first time: images uploaded through S3 (so ingest runs for
 * real and makes the samples), then ground truth and model predictions on each sample.
 * Returns false when the dataset already exists (a restart keeps the user's changes).
 */
export async function seedDemo(store: Store, settled: () => Promise<void>): Promise<boolean> {
  try {
    await store.datasets.get(DEMO_DATASET);
    return false;
  } catch (error) {
    if (!isAnnoflowError(error) || error.code !== 'DATASET_NOT_FOUND') throw error;
  }
  await store.datasets.create(DEMO_DATASET, { mediaType: 'image', sampleFields: {} });
  const keys = SCENES.map((_, index) => `datasets/${DEMO_DATASET}/street-${index + 1}.png`);
  await Promise.all(
    SCENES.map((boxes, index) => store.media.put(keys[index] as string, draw(boxes), 'image/png')),
  );
  await settled();

  const dataset = await store.datasets.get(DEMO_DATASET);
  await store.datasets.updateSchema(
    DEMO_DATASET,
    { mediaType: 'image', sampleFields: { ground_truth: 'Detections', predictions: 'Detections' } },
    dataset.version,
  );
  const { items } = await store.samples.list(DEMO_DATASET, { limit: 100 });
  for (const stored of items) {
    const index = keys.findIndex((key) => stored.sample.filepath.endsWith(key));
    const boxes = SCENES[index];
    if (!boxes) continue;
    const id = (kind: string, n: number) =>
      deterministicObjectId('demo', kind, String(index), String(n));
    const groundTruth = boxes.map((box, n) => ({
      _cls: 'Detection',
      id: id('gt', n),
      label: box.label,
      bounding_box: relative(box),
      occluded: false,
    }));
    // The "model" finds every object, a little off, and mistakes the last person for a car.
    const predictions = boxes.map((box, n) => {
      const [x, y, w, h] = relative(box);
      const wrong = box.label === 'person' && n === boxes.length - 1;
      return {
        _cls: 'Detection',
        id: id('pred', n),
        label: wrong ? 'car' : box.label,
        bounding_box: [x + 0.02, y + 0.01, w, h],
        confidence: wrong ? 0.41 : 0.9 - n * 0.1,
      };
    });
    await store.samples.updateFields(
      DEMO_DATASET,
      stored.sample.id,
      {
        ground_truth: { _cls: 'Detections', detections: groundTruth },
        predictions: { _cls: 'Detections', detections: predictions },
      },
      stored.version,
    );
  }
  return true;
}
