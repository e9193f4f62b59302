import { describe, expect, it } from 'vitest';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

describe('MediaStore', () => {
  it('puts an object and heads its size, content type and etag', async () => {
    const { store } = await aws.newStore();
    const body = new Uint8Array(1234).fill(7);

    const { etag } = await store.media.put('images/street.jpg', body, 'image/jpeg');

    expect(await store.media.head('images/street.jpg')).toEqual({
      size: 1234,
      contentType: 'image/jpeg',
      etag,
    });
  });

  it('reports a missing object as MEDIA_NOT_FOUND', async () => {
    const { store } = await aws.newStore();

    await expect(store.media.head('images/nope.jpg')).rejects.toMatchObject({
      code: 'MEDIA_NOT_FOUND',
      message: "No media object 'images/nope.jpg'",
    });
  });

  it('presigns a GET URL that fetches the bytes', async () => {
    const { store } = await aws.newStore();
    await store.media.put('images/a.txt', 'hello media', 'text/plain');

    const url = await store.media.presignGet('images/a.txt', 300);
    const response = await fetch(url);

    expect(url).toContain('X-Amz-Expires=300');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello media');
  });

  it.each([[0], [8 * 24 * 3600]])('rejects the expiry %s seconds', async (seconds) => {
    const { store } = await aws.newStore();

    await expect(store.media.presignGet('images/a.txt', seconds)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('presign expiry'),
    });
  });

  it('refuses media keys under blobs/, which large label fields own', async () => {
    const { store } = await aws.newStore();

    await expect(store.media.put('blobs/d/s1/mask/x.json', '{}')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("must not start with 'blobs/' (reserved)"),
    });
  });

  it('stats an object with its size, etag and modification time', async () => {
    const { store } = await aws.newStore();
    const { etag } = await store.media.put('runs/d/k/tasks/t.json', '{"a":1}', 'application/json');

    const stat = await store.media.stat('runs/d/k/tasks/t.json');

    expect(stat).toMatchObject({ size: 7, contentType: 'application/json', etag });
    expect(stat?.lastModified).toBeInstanceOf(Date);
  });

  it('stats a missing object as undefined rather than an error', async () => {
    const { store } = await aws.newStore();

    expect(await store.media.stat('runs/d/k/tasks/none.json')).toBeUndefined();
  });

  it('reads a whole object with its etag', async () => {
    const { store } = await aws.newStore();
    const { etag } = await store.media.put('runs/d/k/results/t.json', 'the result');

    const object = await store.media.read('runs/d/k/results/t.json');

    expect(new TextDecoder().decode(object?.body)).toBe('the result');
    expect(object?.etag).toBe(etag);
  });

  it('stops reading an object at maxBytes + 1, so a longer body says it is larger', async () => {
    const { store } = await aws.newStore();
    await store.media.put('runs/d/k/results/big.json', new Uint8Array(4 * 1024 * 1024));

    const object = await store.media.read('runs/d/k/results/big.json', { maxBytes: 10 });

    expect(object?.body.byteLength).toBe(11);
  });

  it('reads an empty object within maxBytes as empty', async () => {
    const { store } = await aws.newStore();
    await store.media.put('runs/d/k/results/empty.json', '');

    const object = await store.media.read('runs/d/k/results/empty.json', { maxBytes: 10 });

    expect(object?.body.byteLength).toBe(0);
  });

  it('reads a missing object as undefined', async () => {
    const { store } = await aws.newStore();

    expect(await store.media.read('runs/d/k/results/none.json')).toBeUndefined();
  });

  it('deletes an object, and deleting it again succeeds', async () => {
    const { store } = await aws.newStore();
    await store.media.put('runs/d/k/tasks/t.json', '{}');

    await store.media.delete('runs/d/k/tasks/t.json');
    await store.media.delete('runs/d/k/tasks/t.json');

    expect(await store.media.stat('runs/d/k/tasks/t.json')).toBeUndefined();
  });
});
