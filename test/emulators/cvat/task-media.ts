import { inspectMedia } from '../../../lib/ingest/inspect-media.js';
import type { FrameRecord, TaskRecord } from './state.js';

/**
 * A CVAT cloud storage (S3 only): `read` stands for CVAT's own S3 credentials, reading an
 * object key relative to the storage (`server_files` entries). `null` organization = the
 * user sandbox.
 */
export interface CloudStorageRecord {
  id: number;
  resource: string;
  display_name: string;
  owner: number;
  organization: number | null;
  read(file: string): Promise<Uint8Array | undefined>;
}

/** The frame selection of `POST /api/tasks/{id}/data`, as `data/meta` reports it. */
export interface FrameSelection {
  start_frame: number;
  stop_frame?: number;
  frame_filter: string;
}

export function cloudStorageRead(storage: CloudStorageRecord, ownerRead: unknown) {
  return {
    id: storage.id,
    owner: ownerRead,
    manifests: [],
    created_date: '2026-01-01T00:00:00.000000Z',
    updated_date: '2026-01-01T00:00:00.000000Z',
    provider_type: 'AWS_S3_BUCKET',
    resource: storage.resource,
    display_name: storage.display_name,
    credentials_type: 'KEY_SECRET_KEY_PAIR',
    specific_attributes: '',
    description: '',
    organization: storage.organization,
  };
}

/**
 * The media a data request names, read as CVAT would: `remote_files` downloaded (which proves
 * presigned links work), or `server_files` read from the `cloud_storage_id` storage. A video's
 * frames are those of `start_frame`/`stop_frame`/`frame_filter: step=N`; images ignore them
 * here (the backend sends them for videos only). Returns an error text for a 400.
 */
export async function readTaskMedia(
  body: Record<string, unknown>,
  storages: ReadonlyMap<number, CloudStorageRecord>,
  organization: number | null,
): Promise<{ frames: FrameRecord[]; video: boolean; selection: FrameSelection } | string> {
  const selection = frameSelection(body);
  if (typeof selection === 'string') return selection;
  const sources = await mediaSources(body, storages, organization);
  if (typeof sources === 'string') return sources;
  if (sources.length === 0) return 'No media data found';
  const frames: FrameRecord[] = [];
  let video = false;
  for (const { name, bytes } of sources) {
    const inspected = await inspectMedia(bytes);
    if (inspected.kind === 'video') {
      const { frame_width, frame_height, total_frame_count } = inspected.metadata;
      if (sources.length > 1) return 'A video task takes exactly one file';
      if (!frame_width || !frame_height || !total_frame_count)
        return `Cannot read the video ${name}`;
      video = true;
      const stop = Math.min(total_frame_count - 1, selection.stop_frame ?? total_frame_count - 1);
      const step = Number(selection.frame_filter.slice('step='.length) || '1');
      for (let frame = selection.start_frame; frame <= stop; frame += step) {
        frames.push({ width: frame_width, height: frame_height, name });
      }
      if (frames.length === 0)
        return `start_frame ${selection.start_frame} is past the video's end`;
      continue;
    }
    if (inspected.kind !== 'image') return `Not an image: ${name}`;
    frames.push({ width: inspected.metadata.width, height: inspected.metadata.height, name });
  }
  return { frames, video, selection };
}

function frameSelection(body: Record<string, unknown>): FrameSelection | string {
  const start = typeof body.start_frame === 'number' ? body.start_frame : 0;
  const stop = typeof body.stop_frame === 'number' ? body.stop_frame : undefined;
  const filter = typeof body.frame_filter === 'string' ? body.frame_filter : '';
  if (filter !== '' && !/^step=[1-9]\d*$/.test(filter)) {
    return `Invalid frame_filter '${filter}': the only supported syntax is 'step=N'`;
  }
  if (stop !== undefined && stop < start) return 'stop_frame must not be before start_frame';
  return {
    start_frame: start,
    ...(stop !== undefined ? { stop_frame: stop } : {}),
    frame_filter: filter,
  };
}

async function mediaSources(
  body: Record<string, unknown>,
  storages: ReadonlyMap<number, CloudStorageRecord>,
  organization: number | null,
): Promise<Array<{ name: string; bytes: Uint8Array }> | string> {
  const remote = (body.remote_files as string[] | undefined) ?? [];
  const server = (body.server_files as string[] | undefined) ?? [];
  if (remote.length > 0 && server.length > 0) return 'Only one media source may be given';
  const out: Array<{ name: string; bytes: Uint8Array }> = [];
  if (server.length > 0) {
    const storageId = body.cloud_storage_id;
    // Without a cloud storage, server_files name the server's file share, which this CVAT lacks.
    if (typeof storageId !== 'number') return 'server_files need a cloud_storage_id here';
    const storage = storages.get(storageId);
    if (!storage || storage.organization !== organization) {
      return `Invalid pk "${storageId}" - object does not exist.`;
    }
    for (const file of server) {
      const bytes = await storage.read(file).catch(() => undefined);
      if (!bytes) return `The file '${file}' was not found in cloud storage ${storageId}`;
      out.push({ name: file.split('/').pop() ?? file, bytes });
    }
    return out;
  }
  for (const url of remote) {
    const response = await fetch(url).catch(() => undefined);
    if (!response?.ok) return `Failed to download ${url}`;
    const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? 'frame');
    out.push({ name, bytes: new Uint8Array(await response.arrayBuffer()) });
  }
  return out;
}

/** `data/meta`'s frame selection fields, in original video frames as CVAT reports them. */
export function metaSelection(task: TaskRecord & { selection?: FrameSelection }) {
  const step = Number(task.selection?.frame_filter.slice('step='.length) || '1');
  const start = task.selection?.start_frame ?? 0;
  return {
    start_frame: start,
    stop_frame: task.video
      ? start + Math.max(0, task.frames.length - 1) * step
      : Math.max(0, task.frames.length - 1),
    frame_filter: task.selection?.frame_filter ?? '',
  };
}
