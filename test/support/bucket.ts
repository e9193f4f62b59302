import { ListObjectsCommand } from '@aws-sdk/client-s3';
import type { LocalStore } from './local-aws.js';

/** Every key in the store's bucket under `prefix`, sorted (s3rver pages at 1,000; tests stay under). */
export async function listKeys(local: LocalStore, prefix = ''): Promise<string[]> {
  const page = await (await local.clients.s3.get()).send(
    new ListObjectsCommand({ Bucket: local.bucket, Prefix: prefix }),
  );
  return (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])).sort();
}

/** An object of the store's bucket parsed as JSON; throws when it is missing. */
export async function readJson(local: LocalStore, key: string): Promise<unknown> {
  const object = await local.store.media.read(key);
  if (object === undefined) throw new Error(`no object ${key}`);
  return JSON.parse(new TextDecoder().decode(object.body));
}
