import type {
  ExportClassification,
  ExportObject,
  ExportVideoAnnotations,
  Ontology,
  WebhookTopic,
  WORKFLOW_STATUSES,
} from './assumptions.js';

export interface DatasetRecord {
  id: string;
  name: string;
  description: string;
}

export interface DataRowRecord {
  id: string;
  datasetId: string;
  globalKey: string;
  rowData: string;
  mediaType: 'IMAGE' | 'VIDEO';
  mediaAttributes?: { width: number; height: number };
}

export interface OntologyRecord {
  id: string;
  name: string;
  normalized: Ontology;
}

export interface BatchRecord {
  id: string;
  name: string;
  dataRowIds: string[];
}

export interface LabelRecord {
  id: string;
  createdAt: string;
  updatedAt: string;
  objects: ExportObject[];
  classifications: ExportClassification[];
  /** Video labels: the frames, in export shape; `objects` is then empty. */
  video?: ExportVideoAnnotations;
}

export interface ProjectRecord {
  id: string;
  name: string;
  description: string;
  mediaType: 'IMAGE' | 'VIDEO';
  ontologyId?: string;
  batches: Map<string, BatchRecord>;
  /** Per data row of the project: its label (one per row, no consensus) and workflow state. */
  rows: Map<string, { label?: LabelRecord; status: (typeof WORKFLOW_STATUSES)[number] }>;
}

export interface WebhookRecord {
  id: string;
  projectId?: string;
  url: string;
  secret: string;
  topics: WebhookTopic[];
  status: 'ACTIVE' | 'INACTIVE' | 'REVOKED';
}

export interface ExportTaskRecord {
  id: string;
  /** Polls left before the task reports `COMPLETE`. */
  pollsLeft: number;
  ndjson: string;
  /** Read as a stream of files (`exportFileFromOffset`) rather than through `result`. */
  streamable: boolean;
  /** What the result's links carry instead of the API key, as a signed URL does. */
  signature: string;
  /** The files a streamed result is cut into: byte and line ranges, ends included. */
  files: Array<{ start: number; end: number; firstLine: number; lastLine: number }>;
}

/** A file sent with `uploadFile`, kept for the import that names it. */
export interface UploadRecord {
  url: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/** A row of a data row import, as the task reports it back. */
export interface ImportedRow {
  globalKey: string;
  rowData: string;
}

/** An `upsertDataRows` task: the rows it was sent, then what became of each. */
/**
 * How a data row import ends: `COMPLETE` makes its rows; `FAILED` makes none and reports each
 * row refused (what a failed import's `failedDataRowImports` holds is inferred [I]); `LOST`
 * removes the task, so polls stop finding it.
 */
export type ImportEnding = 'COMPLETE' | 'FAILED' | 'LOST';

export interface ImportTaskRecord {
  id: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  status: 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';
  /** Polls left (`createdTasks`) before the task completes. */
  pollsLeft: number;
  /** How the task ends once its polls are spent (see `LabelboxEmulatorOptions.importEnds`). */
  ends: ImportEnding;
  /** The rows to make, in manifest order; applied when the task completes. */
  rows: Array<ImportedRow & { datasetId: string; mediaType: 'IMAGE' | 'VIDEO' }>;
  created: Array<ImportedRow & { id: string }>;
  failed: Array<ImportedRow & { message: string }>;
}

/** Everything the emulated organization holds; deleted things are removed, not flagged. */
export class LabelboxState {
  readonly datasets = new Map<string, DatasetRecord>();
  readonly dataRows = new Map<string, DataRowRecord>();
  readonly ontologies = new Map<string, OntologyRecord>();
  readonly projects = new Map<string, ProjectRecord>();
  readonly webhooks = new Map<string, WebhookRecord>();
  readonly exportTasks = new Map<string, ExportTaskRecord>();
  /** Mask PNGs by id, served at `/masks/<id>.png`. */
  readonly masks = new Map<string, Buffer>();
  /** Files sent with `uploadFile`, by the URL the upload answered. */
  readonly uploads = new Map<string, UploadRecord>();
  readonly importTasks = new Map<string, ImportTaskRecord>();
  #next = 0;
  /** The user the API key belongs to: every task is created by it. */
  readonly userId = this.newId('us');

  /** A cuid-looking id, unique in this emulator: Labelbox ids are opaque strings [V]. */
  newId(kind: string): string {
    this.#next += 1;
    return `cl${kind}${this.#next.toString(36).padStart(8, '0')}`;
  }

  dataRowByGlobalKey(globalKey: string): DataRowRecord | undefined {
    for (const row of this.dataRows.values()) if (row.globalKey === globalKey) return row;
    return undefined;
  }

  batchOfRow(project: ProjectRecord, dataRowId: string): BatchRecord | undefined {
    for (const batch of project.batches.values()) {
      if (batch.dataRowIds.includes(dataRowId)) return batch;
    }
    return undefined;
  }
}
