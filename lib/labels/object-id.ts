import { createHash, randomBytes } from 'node:crypto';

const OBJECT_ID = /^[0-9a-f]{24}$/;

export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID.test(value);
}

let counter = randomBytes(3).readUIntBE(0, 3);
const processRandom = randomBytes(5).toString('hex');

/** A fresh BSON-style ObjectId: 4-byte seconds, 5 random bytes per process, 3-byte counter. */
export function newObjectId(now: number = Date.now()): string {
  counter = (counter + 1) % 0x1000000;
  const seconds = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0');
  return `${seconds}${processRandom}${counter.toString(16).padStart(6, '0')}`;
}

/**
 * An ObjectId-shaped id derived from its inputs. Used wherever a retried or replayed step
 * must mint the *same* id twice (duplicate-id regeneration, frames created by a merge).
 */
export function deterministicObjectId(...parts: ReadonlyArray<string>): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24);
}
