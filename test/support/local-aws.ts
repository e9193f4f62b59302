import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { createStoreResources, type StandIns, startStandIns } from '../../lib/local/stand-ins.js';
import {
  createStore,
  createStoreClients,
  destroyStoreClients,
  type Store,
  type StoreClients,
  type StoreOptions,
} from '../../lib/store/index.js';

/** A fresh table and bucket on the file's stand-ins, with a store on them. */
export interface LocalStore {
  readonly tableName: string;
  readonly bucket: string;
  readonly clients: StoreClients;
  readonly store: Store;
}

export interface LocalAws {
  /** The running stand-ins (valid inside tests, after `beforeAll`). */
  readonly standIns: StandIns;
  /** Shared clients for the file. */
  readonly clients: StoreClients;
  /**
   * A new, empty table and bucket with unique names, so tests never see each other's
   * items. Creating them takes a few milliseconds.
   */
  newStore(options?: Omit<StoreOptions, 'tableName' | 'bucket'>): Promise<LocalStore>;
  /** Extra clients on the same stand-ins (e.g. to add a fault-injecting middleware). */
  newClients(): StoreClients;
}

/**
 * Starts in-memory stand-ins for the calling test file (beforeAll) and stops them after
 * (afterAll). Usage: `const aws = useLocalAws();` at the top of a describe or file.
 */
export function useLocalAws(): LocalAws {
  let standIns: StandIns | undefined;
  let clients: StoreClients | undefined;
  const extra: StoreClients[] = [];
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useLocalAws: use it inside a test, after beforeAll');
    return value;
  };

  beforeAll(async () => {
    standIns = await startStandIns();
    clients = createStoreClients(standIns.clientOptions);
  });
  afterAll(async () => {
    for (const each of [clients, ...extra]) if (each) destroyStoreClients(each);
    await standIns?.stop();
  });

  return {
    get standIns() {
      return started(standIns);
    },
    get clients() {
      return started(clients);
    },
    newClients() {
      const made = createStoreClients(started(standIns).clientOptions);
      extra.push(made);
      return made;
    },
    async newStore(options = {}) {
      const suffix = randomBytes(6).toString('hex');
      const names = { tableName: `annoflow-${suffix}`, bucket: `media-${suffix}` };
      const shared = started(clients);
      await createStoreResources(shared, names);
      return { ...names, clients: shared, store: createStore(shared, { ...names, ...options }) };
    },
  };
}
