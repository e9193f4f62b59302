// dynalite ships no types; this is the part of its API the stand-ins use (its index.js JSDoc).
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** LevelDB directory; in memory when absent. */
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }

  /** A plain `http.Server`; `close()` also closes the store. */
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
