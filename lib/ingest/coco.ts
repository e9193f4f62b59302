import { z } from 'zod';
import { InvalidInputError, parseInput } from '../errors/index.js';
import { deterministicObjectId } from '../labels/object-id.js';
import type { Sample } from '../labels/schemas.js';

/** The parts of a COCO detection file (`instances_*.json`) the import reads. */
export const cocoDetectionsSchema = z.object({
  images: z.array(
    z.looseObject({
      id: z.number().int(),
      file_name: z.string().min(1),
      width: z.number().positive(),
      height: z.number().positive(),
    }),
  ),
  annotations: z.array(
    z.looseObject({
      id: z.number().int(),
      image_id: z.number().int(),
      category_id: z.number().int(),
      bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]),
      iscrowd: z.union([z.literal(0), z.literal(1)]).optional(),
      score: z.number().optional(),
    }),
  ),
  categories: z.array(z.looseObject({ id: z.number().int(), name: z.string().min(1) })),
});

/**
 * Converts a COCO detection file into samples with a `Detections` field, the way FiftyOne's
 * COCO importer does: absolute `[x, y, w, h]` pixels become relative boxes, `iscrowd` stays a
 * custom attribute, `score` becomes `confidence`. Ids are derived from the file's own ids, so
 * importing the same file twice gives the same samples and labels.
 */
export function cocoToSamples(
  document: unknown,
  options: { labelField: string; filepathOf: (fileName: string) => string; dataset: string },
): Sample[] {
  const coco = parseInput(cocoDetectionsSchema, document, 'COCO detections file');
  // Label and sample ids derive from these ids: a repeated one would make two labels (or
  // two samples' labels) one id.
  requireUnique(coco.images, 'image', 'imageId');
  requireUnique(coco.annotations, 'annotation', 'annotationId');
  const names = new Map(coco.categories.map((category) => [category.id, category.name]));
  const images = new Map(coco.images.map((image) => [image.id, image]));
  const byImage = new Map<number, Array<Record<string, unknown>>>();
  for (const annotation of coco.annotations) {
    const image = images.get(annotation.image_id);
    const label = names.get(annotation.category_id);
    if (!image || label === undefined) {
      const missing = image ? `category ${annotation.category_id}` : `image ${annotation.image_id}`;
      throw new InvalidInputError(
        `Invalid COCO detections file: annotation ${annotation.id} refers to unknown ${missing}`,
        {
          annotationId: annotation.id,
        },
      );
    }
    const [x, y, w, h] = annotation.bbox;
    const detections = byImage.get(image.id) ?? [];
    detections.push({
      _cls: 'Detection',
      id: deterministicObjectId('coco', options.dataset, String(annotation.id)),
      label,
      bounding_box: [x / image.width, y / image.height, w / image.width, h / image.height],
      ...(annotation.score === undefined ? {} : { confidence: annotation.score }),
      ...(annotation.iscrowd === undefined ? {} : { iscrowd: annotation.iscrowd }),
    });
    byImage.set(image.id, detections);
  }
  return coco.images.map((image) => ({
    id: deterministicObjectId('coco-image', options.dataset, image.file_name),
    filepath: options.filepathOf(image.file_name),
    media_type: 'image',
    metadata: { _cls: 'ImageMetadata', width: image.width, height: image.height },
    [options.labelField]: { _cls: 'Detections', detections: byImage.get(image.id) ?? [] },
  }));
}

/** @throws InvalidInputError `INVALID_INPUT` naming the first id that appears twice. */
function requireUnique(entries: ReadonlyArray<{ id: number }>, kind: string, detail: string): void {
  const seen = new Set<number>();
  for (const { id } of entries) {
    if (seen.has(id)) {
      throw new InvalidInputError(
        `Invalid COCO detections file: ${kind} id ${id} appears more than once`,
        { [detail]: id },
      );
    }
    seen.add(id);
  }
}
