import { BackendError } from '../../errors/index.js';
import { mediaExpiry, type RefreshMediaResult } from '../backend.js';
import { isPresigned, mediaLinkOf } from '../media-links.js';
import type { BackendObjectStore } from '../object-store.js';
import { manifestKey, type TaskLocation } from './keys.js';
import { taskManifestSchema } from './manifest.js';

/**
 * Rewrites a task's manifest with freshly signed media links, everything else as it was, so
 * an annotator who fetches the manifest after day 7 still opens every image. One read and
 * one write per task; the result an annotator may already be editing is not touched.
 *
 * @throws BackendError `BACKEND_RESULT_MISSING` when the manifest is gone (a cleaned task),
 *   `BACKEND_RESPONSE_INVALID` when it is not a manifest any more.
 */
export async function refreshManifestLinks(
  location: TaskLocation,
  options: { objects: BackendObjectStore; expiresInSeconds: number; now: Date },
): Promise<RefreshMediaResult> {
  const { objects, expiresInSeconds, now } = options;
  const key = manifestKey(location);
  const object = await objects.read(key);
  if (object === undefined) {
    throw new BackendError(
      'BACKEND_RESULT_MISSING',
      `Task '${location.taskId}' has no manifest at ${key} to refresh`,
      { taskId: location.taskId, key },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(object.body));
  } catch {
    raw = undefined;
  }
  const parsed = taskManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new BackendError(
      'BACKEND_RESPONSE_INVALID',
      `Task '${location.taskId}' manifest at ${key} is not a files-backend manifest`,
      { taskId: location.taskId, key },
    );
  }
  const manifest = parsed.data;
  // Links are read before signing, so the recorded expiry is never later than the real one.
  const samples = await Promise.all(
    manifest.samples.map(async (sample) => ({
      ...sample,
      mediaUrl: await mediaLinkOf(
        sample,
        objects,
        expiresInSeconds,
        'the files backend cannot link',
      ),
    })),
  );
  await objects.put(key, JSON.stringify({ ...manifest, samples }), 'application/json');
  const expires = manifest.samples.some((sample) => isPresigned(sample, objects));
  return expires ? { expiresAt: mediaExpiry(now, expiresInSeconds) } : {};
}
