import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { MediaStore } from '../store/media-store.js';
import type { LazyS3Client } from '../store/s3-client.js';

/** The media ingest accepts (`lib/ingest/inspect-media.ts`), by file extension. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.avif': 'image/avif',
  '.heic': 'image/heic',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.avi': 'video/x-msvideo',
  '.mpg': 'video/mpeg',
  '.mpeg': 'video/mpeg',
};

export interface MediaFile {
  /** Where it is on disk. */
  readonly path: string;
  /** Its path under the folder, with `/` separators: its key under `datasets/<dataset>/`. */
  readonly relative: string;
  readonly contentType: string;
}

/**
 * The images and videos under `dir`, recursively, sorted by path. Hidden files and files of
 * other kinds are listed as skipped (ingest would reject them anyway).
 */
export async function findMedia(dir: string): Promise<{ files: MediaFile[]; skipped: string[] }> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: MediaFile[] = [];
  const skipped: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const rel = relative(dir, path).split(sep).join('/');
    const contentType = CONTENT_TYPES[extname(entry.name).toLowerCase()];
    if (rel.split('/').some((part) => part.startsWith('.')) || contentType === undefined) {
      skipped.push(rel);
      continue;
    }
    files.push({ path, relative: rel, contentType });
  }
  files.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
  return { files, skipped: skipped.sort() };
}

/** The key a dataset's media file lives under; ingest reads the dataset from it. */
export const mediaKey = (dataset: string, file: MediaFile): string =>
  `datasets/${dataset}/${file.relative}`;

/**
 * Uploads `files` to `datasets/<dataset>/…` in the media bucket, a few at a time. Each
 * object's upload is what tells ingest to make (or refresh) its sample; uploading the same
 * file again lands on the same sample.
 */
export async function uploadMedia(options: {
  s3: LazyS3Client;
  bucket: string;
  dataset: string;
  files: readonly MediaFile[];
  concurrency?: number;
  onUploaded?: (done: number) => void;
}): Promise<string[]> {
  const media = new MediaStore({ s3: options.s3, bucket: options.bucket });
  const keys: string[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < options.files.length) {
      const file = options.files[next++] as MediaFile;
      const key = mediaKey(options.dataset, file);
      await media.put(key, await readFile(file.path), file.contentType);
      keys.push(key);
      options.onUploaded?.(++done);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 6, options.files.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return keys.sort();
}
