import { z } from 'zod';

/** SigV4's longest validity: a task's image link lives a week (see README, "Media links"). */
import { MEDIA_URL_EXPIRY_SECONDS } from '../media-links.js';

/**
 * The backend's params in the annotation config, named as FiftyOne names them (`url`,
 * `api_key`, `project_name`), plus annoflow's own. `api_key` is a legacy token or a personal
 * access token (a JWT refresh token); it is never logged and never stored on a run.
 */
export const labelStudioParamsSchema = z.looseObject({
  url: z.url({ protocol: /^https?$/ }),
  api_key: z.string().min(1, 'the Label Studio API key is required'),
  /** The project's title (Label Studio wants 3–50 characters); default `FiftyOne_<dataset>`. */
  project_name: z.string().min(3).nullable().optional(),
  /** Where Label Studio should POST its webhooks (annoflow's webhook route); none: polling only. */
  webhook_url: z
    .url({ protocol: /^https?$/ })
    .nullable()
    .optional(),
  media_url_expires_in: z
    .number()
    .int()
    .min(1)
    .max(MEDIA_URL_EXPIRY_SECONDS)
    .default(MEDIA_URL_EXPIRY_SECONDS),
  /** Tasks listed per request. */
  page_size: z.number().int().min(1).max(1000).default(100),
});
export type LabelStudioParams = z.output<typeof labelStudioParamsSchema>;
export type LabelStudioParamsInput = z.input<typeof labelStudioParamsSchema>;
