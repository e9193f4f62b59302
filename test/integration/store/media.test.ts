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
});
