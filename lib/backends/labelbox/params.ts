import { z } from 'zod';

/** SigV4's longest validity: Labelbox reads media from these links for a week. */
import { MEDIA_URL_EXPIRY_SECONDS } from '../media-links.js';

/**
 * The backend's params in the annotation config, with FiftyOne's names (`url`, `api_key`,
 * `project_name`, `classes_as_attrs`, `members`) plus annoflow's own. Env values arrive
 * parsed (`FIFTYONE_LABELBOX_API_KEY=12345` is a number), so the key is taken as text.
 */
export const labelboxParamsSchema = z.looseObject({
  url: z.url({ protocol: /^https?$/ }).default('https://labelbox.com'),
  api_key: z
    .union([z.string().min(1), z.number()], { error: 'is required (FIFTYONE_LABELBOX_API_KEY)' })
    .transform(String),
  /** Prefix of the projects' names; FiftyOne's default is `FiftyOne_<dataset>`. */
  project_name: z.string().min(1).nullish(),
  /** Only FiftyOne's default layout (the class as a required `class_name` radio) is made. */
  classes_as_attrs: z
    .literal(true, { error: 'only true is supported: classes are a class_name question' })
    .default(true),
  /** Inviting members needs organization admin rights; not supported. */
  members: z
    .array(z.unknown())
    .max(0, { error: 'inviting members is not supported; share the projects in Labelbox' })
    .nullish(),
  /** Where Labelbox sends label events (the service's webhook route); none = poll only. */
  webhook_url: z.url({ protocol: /^https?$/ }).nullish(),
  media_url_expires_in: z
    .number()
    .int()
    .min(1)
    .max(MEDIA_URL_EXPIRY_SECONDS)
    .default(MEDIA_URL_EXPIRY_SECONDS),
  export_poll_interval_ms: z.number().int().min(0).default(1000),
  export_timeout_ms: z
    .number()
    .int()
    .positive()
    .default(5 * 60 * 1000),
  /**
   * How a data row import is waited for: a poll every 2 s, as the SDK's `Task.wait_till_done`,
   * but four minutes at most, not its five: a page uploads in the annotate function, whose
   * limit is five minutes (`cdk/annotation-service.ts`), and a wait as long as that is killed
   * with the function instead of ending in an error that says why. An import still running
   * then fails the upload as `BACKEND_UNAVAILABLE`; the retry adopts the rows it made.
   */
  data_row_poll_interval_ms: z.number().int().min(0).default(2000),
  data_row_timeout_ms: z
    .number()
    .int()
    .positive()
    .default(4 * 60 * 1000),
});
export type LabelboxParams = z.output<typeof labelboxParamsSchema>;

/**
 * The GraphQL endpoint, built as FiftyOne builds it: `https://labelbox.com` becomes
 * `https://api.labelbox.com/graphql`. A host that already starts with `api.`, and a loopback
 * or IP host (an emulator, a proxy), is used as given.
 */
export function graphqlEndpoint(url: string): string {
  return `${apiOrigin(url)}/graphql`;
}

/**
 * Where the Labelbox SDK sends each kind of request, on the API host of `url`
 * (labelbox-python `lbox/request_client.py` `RequestClient.__init__`/`execute`):
 * - `graphql`: `https://api.labelbox.com/graphql`, every GraphQL request by default;
 * - `experimental`: the same with `/graphql` replaced by `/_gql`, for the requests the SDK
 *   sends with `experimental=True` (a project's batches);
 * - `rest`: `https://api.labelbox.com/api/v1`, the REST API (deleting an ontology).
 */
export function labelboxEndpoints(url: string): {
  graphql: string;
  experimental: string;
  rest: string;
} {
  const origin = apiOrigin(url);
  return { graphql: `${origin}/graphql`, experimental: `${origin}/_gql`, rest: `${origin}/api/v1` };
}

function apiOrigin(url: string): string {
  const parsed = new URL(url);
  const host = parsed.hostname;
  const literal = host === 'localhost' || /^[\d.]+$/.test(host) || host.startsWith('[');
  if (!literal && !host.startsWith('api.')) parsed.hostname = `api.${host}`;
  return parsed.origin;
}
