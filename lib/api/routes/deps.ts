import type { Store } from '../../store/store.js';
import type { WorkflowDeps } from '../../workflows/deps.js';

/** What the API's routes need: the store, and where media lives. */
export interface ApiDeps {
  store: Store;
  /** The media bucket, to turn relative import paths into `s3://` filepaths. */
  mediaBucket: string;
  /** Starts and follows workflows, asks backends for task status; absent in store-only tests. */
  workflows?: WorkflowDeps;
}
