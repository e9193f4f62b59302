import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { LazyS3Client } from '../../../lib/store/s3-client.js';

const config = { region: 'us-east-1', endpoint: 'http://127.0.0.1:1', forcePathStyle: true };

describe('LazyS3Client', () => {
  it('builds one client however many first calls race for it', async () => {
    const lazy = new LazyS3Client(config);
    const [a, b, c] = await Promise.all([lazy.get(), lazy.get(), lazy.load()]);
    expect(a).toBeInstanceOf(S3Client);
    expect(b).toBe(a);
    expect(c.client).toBe(a);
  });

  it('builds the client with the configuration it was given', async () => {
    const client = await new LazyS3Client(config).get();
    expect(await client.config.region()).toBe('us-east-1');
    expect(client.config.forcePathStyle).toBe(true);
  });

  it('hands out the commands of the same SDK the client comes from', async () => {
    const { sdk } = await new LazyS3Client(config).load();
    expect(new sdk.GetObjectCommand({ Bucket: 'b', Key: 'k' }).input).toEqual({
      Bucket: 'b',
      Key: 'k',
    });
  });

  it('builds a new client after destroy', async () => {
    const lazy = new LazyS3Client(config);
    const first = await lazy.get();
    lazy.destroy();
    expect(await lazy.get()).not.toBe(first);
  });

  it('destroys nothing when the client was never built', () => {
    expect(() => new LazyS3Client(config).destroy()).not.toThrow();
  });
});
