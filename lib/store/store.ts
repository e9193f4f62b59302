import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { RetryPolicy } from './batch-write.js';
import { BlobStore } from './blob-store.js';
import type { StoreClients } from './clients.js';
import { DatasetRepository } from './datasets.js';
import { DeliveryRepository } from './deliveries.js';
import { ExecutionRepository } from './executions.js';
import { MediaObjectRepository } from './media-objects.js';
import { MediaStore } from './media-store.js';
import { RunRepository } from './runs.js';
import { SampleRepository } from './samples.js';
import { SweepRepository } from './sweeps.js';
import { TaskRepository } from './tasks.js';

export interface StoreOptions {
  readonly tableName: string;
  /** The media bucket; large label fields live under its `blobs/` prefix. */
  readonly bucket: string;
  readonly clock?: () => Date;
  readonly retry?: RetryPolicy;
  /** Who signs presigned media links (see {@link MediaStore.presignGet}); the clients' own if omitted. */
  readonly mediaLinkCredentials?: NonNullable<S3ClientConfig['credentials']>;
}

/** Every repository on one table and one bucket. */
export interface Store {
  readonly datasets: DatasetRepository;
  readonly samples: SampleRepository;
  readonly runs: RunRepository;
  readonly tasks: TaskRepository;
  readonly deliveries: DeliveryRepository;
  /** The workflow executions started for each run. */
  readonly executions: ExecutionRepository;
  readonly media: MediaStore;
  /** What ingest decided about each media object. */
  readonly mediaObjects: MediaObjectRepository;
  readonly blobs: BlobStore;
  /** Where the next sweep of open runs begins. */
  readonly sweeps: SweepRepository;
}

/**
 * Wires the repositories to shared clients. Construction does no I/O, so a handler may
 * build its store once per cold start.
 */
export function createStore(clients: StoreClients, options: StoreOptions): Store {
  const { doc, s3 } = clients;
  const { tableName, bucket } = options;
  const clock = options.clock ?? (() => new Date());
  const retry = options.retry;
  const blobs = new BlobStore({ s3, bucket });
  const tasks = new TaskRepository({ doc, tableName, retry });
  const executions = new ExecutionRepository({ doc, tableName, retry });
  return {
    datasets: new DatasetRepository({ doc, tableName, blobs, clock, retry }),
    samples: new SampleRepository({ doc, tableName, blobs, clock, retry }),
    runs: new RunRepository({ doc, tableName, tasks, executions, clock }),
    tasks,
    deliveries: new DeliveryRepository({ doc, tableName, clock }),
    executions,
    media: new MediaStore({
      s3,
      bucket,
      ...(options.mediaLinkCredentials
        ? { linkSigner: s3.withCredentials(options.mediaLinkCredentials) }
        : {}),
    }),
    mediaObjects: new MediaObjectRepository({ doc, tableName }),
    blobs,
    sweeps: new SweepRepository({ doc, tableName, clock }),
  };
}
