import { describe, expect, it } from 'vitest';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

/** A clock the test moves by hand: dynalite has no TTL, and the store must not need one. */
function manualClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let now = start;
  return {
    clock: () => new Date(now),
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
  };
}

describe('DeliveryRepository', () => {
  it('records a delivery the first time it is seen', async () => {
    const { store } = await aws.newStore();

    expect(await store.deliveries.recordDelivery('cvat', 'd-1', 3600)).toBe(true);
    expect(await store.deliveries.hasDelivery('cvat', 'd-1')).toBe(true);
  });

  it('answers false for a duplicate delivery', async () => {
    const { store } = await aws.newStore();
    await store.deliveries.recordDelivery('cvat', 'd-1', 3600);

    expect(await store.deliveries.recordDelivery('cvat', 'd-1', 3600)).toBe(false);
  });

  it('answers true to exactly one of concurrent duplicates', async () => {
    const { store } = await aws.newStore();

    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.deliveries.recordDelivery('cvat', 'd-1', 3600)),
    );

    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('keeps deliveries of different backends apart', async () => {
    const { store } = await aws.newStore();
    await store.deliveries.recordDelivery('cvat', 'd-1', 3600);

    expect(await store.deliveries.recordDelivery('labelstudio', 'd-1', 3600)).toBe(true);
  });

  it('treats an expired record as absent, though nothing deleted it', async () => {
    const time = manualClock();
    const { store } = await aws.newStore({ clock: time.clock });
    await store.deliveries.recordDelivery('cvat', 'd-1', 60);

    time.advance(61);

    expect(await store.deliveries.hasDelivery('cvat', 'd-1')).toBe(false);
    expect(await store.deliveries.recordDelivery('cvat', 'd-1', 60)).toBe(true);
  });

  it('still counts a record as seen until its TTL has passed', async () => {
    const time = manualClock();
    const { store } = await aws.newStore({ clock: time.clock });
    await store.deliveries.recordDelivery('cvat', 'd-1', 60);

    time.advance(59);

    expect(await store.deliveries.recordDelivery('cvat', 'd-1', 60)).toBe(false);
  });

  it.each([[0], [1.5], [400 * 24 * 3600]])('rejects the TTL %s as INVALID_INPUT', async (ttl) => {
    const { store } = await aws.newStore();

    await expect(store.deliveries.recordDelivery('cvat', 'd-1', ttl)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('delivery TTL'),
    });
    expect(await store.deliveries.hasDelivery('cvat', 'd-1')).toBe(false);
  });

  it('rejects an empty delivery id', async () => {
    const { store } = await aws.newStore();

    await expect(store.deliveries.recordDelivery('cvat', '', 60)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('delivery id'),
    });
  });
});
