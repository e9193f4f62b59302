import { isRecord } from '../labels/json.js';
import type { ImportSamplesRequest } from './client.js';

export interface ImportBatch {
  /** One import request, a slice of the whole document. */
  readonly request: ImportSamplesRequest;
  /** How many samples (FiftyOne) or images (COCO) it carries. */
  readonly size: number;
}

export interface BatchLimits {
  /** Samples or images per request; the API writes 500 per batch. */
  readonly maxItems?: number;
  /**
   * Approximate JSON bytes per request: Lambda takes at most 6 MB synchronously (API
   * Gateway 10 MB). One item bigger than this still goes alone.
   */
  readonly maxBytes?: number;
}

function chunk<T>(items: readonly T[], limits: BatchLimits): T[][] {
  const maxItems = limits.maxItems ?? 500;
  const maxBytes = limits.maxBytes ?? 4_000_000;
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = JSON.stringify(item)?.length ?? 0;
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size + 1;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Splits one import into requests small enough for the API, each a valid document of the
 * same format, so the batches together import exactly what the whole document would: a
 * FiftyOne export becomes lists of its samples; a COCO file becomes files of some images
 * with their annotations and every category. Annotations of no listed image go with the
 * first batch, where the API refuses them as the whole file would be refused. A document
 * of neither shape is passed through whole, for the API to explain what is wrong.
 */
export function importBatches(
  request: ImportSamplesRequest,
  limits: BatchLimits = {},
): ImportBatch[] {
  const { document } = request;
  if (request.format === 'fiftyone') {
    const samples = Array.isArray(document)
      ? document
      : isRecord(document) && Array.isArray(document.samples)
        ? document.samples
        : undefined;
    if (samples === undefined) return [{ request, size: 0 }];
    return chunk(samples, limits).map((part) => ({
      request: { format: 'fiftyone', document: part },
      size: part.length,
    }));
  }
  if (
    !isRecord(document) ||
    !Array.isArray(document.images) ||
    !Array.isArray(document.annotations) ||
    !Array.isArray(document.categories)
  ) {
    return [{ request, size: 0 }];
  }
  const { images, annotations, categories, ...rest } = document;
  const byImage = new Map<unknown, unknown[]>();
  for (const annotation of annotations) {
    const imageId = isRecord(annotation) ? annotation.image_id : undefined;
    const list = byImage.get(imageId);
    if (list) list.push(annotation);
    else byImage.set(imageId, [annotation]);
  }
  const imageIds = new Set(images.map((image) => (isRecord(image) ? image.id : undefined)));
  const orphans = [...byImage].filter(([id]) => !imageIds.has(id)).flatMap(([, list]) => list);
  // Each image travels with its annotations, so size them together.
  const groups = images.map((image) => ({
    image,
    annotations: byImage.get(isRecord(image) ? image.id : undefined) ?? [],
  }));
  const parts = chunk(groups, limits);
  if (parts.length === 0) parts.push([]);
  return parts.map((part, index) => ({
    request: {
      ...request,
      document: {
        ...rest,
        images: part.map((group) => group.image),
        annotations: [
          ...(index === 0 ? orphans : []),
          ...part.flatMap((group) => group.annotations),
        ],
        categories,
      },
    },
    size: part.length,
  }));
}
