import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

/** A request as the client is about to send it. */
export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
}

/** Returns the headers to send: the request's own plus whatever authenticates it. */
export type RequestSigner = (request: SignableRequest) => Promise<Record<string, string>>;

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  readonly expiration?: Date | undefined;
}

export interface SigV4SignerOptions {
  readonly region: string;
  /** Fixed credentials or a provider; default: the Node provider chain (env, SSO, profile, IMDS…). */
  readonly credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  /** The shared-config profile the default chain reads (default: `AWS_PROFILE`, then `default`). */
  readonly profile?: string | undefined;
  /** The signing name; a deployed HTTP API with IAM auth is `execute-api`. */
  readonly service?: string;
}

/**
 * SigV4 for a deployed stack's IAM-authorized HTTP API. The signature covers the method,
 * path, query, the headers sent (with `host`) and the body, so the request must go out
 * exactly as signed: the client sends the URL it passed in, and `fetch` derives the same
 * `host` from it (the header itself is left out, since `fetch` will not send it).
 */
export function createSigV4Signer(options: SigV4SignerOptions): RequestSigner {
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials:
      options.credentials ??
      defaultProvider(options.profile === undefined ? {} : { profile: options.profile }),
    sha256: Sha256,
  });
  return async ({ method, url, headers, body }) => {
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const seen = query[name];
      query[name] = seen === undefined ? value : [...[seen].flat(), value];
    }
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { ...headers, host: url.host },
      ...(body === undefined ? {} : { body }),
    });
    const { host: _host, ...rest } = signed.headers;
    return rest;
  };
}

/** True when the URL carries a user or password (`user:password@host`), which is a secret. */
export function hasUserInfo(endpoint: string | URL): boolean {
  const { username, password } = new URL(endpoint);
  return username !== '' || password !== '';
}

/** True for `localhost` and loopback addresses: the local runtime, which has no auth. */
export function isLoopback(endpoint: string | URL): boolean {
  const { hostname } = new URL(endpoint);
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    /^127(\.\d{1,3}){3}$/.test(hostname) ||
    hostname === '[::1]'
  );
}

/** The region in an `execute-api` endpoint's host name, if it is one. */
export function regionOfEndpoint(endpoint: string | URL): string | undefined {
  const { hostname } = new URL(endpoint);
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(hostname)?.[1];
}
