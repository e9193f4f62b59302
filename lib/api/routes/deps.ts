import type { Store } from '../../store/store.js';

/** What the API's routes need: the store, and where media lives. */
export interface ApiDeps {
  store: Store;
  /** The media bucket, to turn relative import paths into `s3://` filepaths. */
  mediaBucket: string;
}
