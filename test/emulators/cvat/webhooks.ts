import { createHmac } from 'node:crypto';
import { pythonJsonDumps } from './python-json.js';
import type { CvatState, EmittedEvent, WebhookRecord } from './state.js';

/** One attempt to deliver an event, as the emulator recorded it. */
export interface Delivery {
  webhookId: number;
  event: string;
  targetUrl: string;
  body: string;
  headers: Record<string, string>;
  /** HTTP status of the receiver; 0 when the emulator dropped the delivery on purpose. */
  status: number;
  dropped: boolean;
}

/**
 * Sends events to the webhooks that subscribed to them, as CVAT 2.39 does (reference §1.6):
 * `json.dumps` bytes, `X-Signature-256: sha256=<hmac>` over exactly those bytes (absent when
 * the secret is empty), no retry, no delivery id. Fault controls drop or duplicate deliveries.
 */
export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  readonly #pending = new Set<Promise<void>>();
  #dropNext = 0;
  #duplicate = false;

  constructor(
    private readonly state: CvatState,
    private readonly version: string,
  ) {}

  /** The next `count` deliveries are recorded but never sent (lost in transit); 0 resets. */
  dropNext(count: number): void {
    this.#dropNext = count;
  }

  /** Every delivery is sent twice with the same bytes (at-least-once delivery upstream). */
  duplicate(on: boolean): void {
    this.#duplicate = on;
  }

  /** Waits until every delivery started so far has been answered. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  dispatch(emitted: EmittedEvent): void {
    for (const hook of this.state.webhooks.values()) {
      if (!hook.is_active || !hook.events.includes(emitted.event)) continue;
      const scoped =
        hook.type === 'project'
          ? hook.project_id === emitted.projectId
          : hook.organization === emitted.organization;
      if (scoped) this.send(hook, emitted.event, { ...emitted.payload, webhook_id: hook.id });
    }
  }

  /** `ping` is synchronous in CVAT and its payload has no `webhook_id`. */
  async ping(hook: WebhookRecord, sender: number): Promise<Delivery> {
    const payload = {
      event: 'ping',
      webhook: this.state.webhookRead(hook),
      sender: this.state.userRead(sender),
    };
    const delivery = this.send(hook, 'ping', payload);
    await this.settle();
    return delivery;
  }

  private send(hook: WebhookRecord, event: string, payload: unknown): Delivery {
    const body = pythonJsonDumps(payload);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': `CVAT/${this.version} python-requests/2.32.3`,
    };
    if (hook.secret !== '') {
      headers['X-Signature-256'] =
        `sha256=${createHmac('sha256', hook.secret).update(body, 'utf8').digest('hex')}`;
    }
    const delivery: Delivery = {
      webhookId: hook.id,
      event,
      targetUrl: hook.target_url,
      body,
      headers,
      status: 0,
      dropped: false,
    };
    this.deliveries.push(delivery);
    if (this.#dropNext > 0) {
      this.#dropNext -= 1;
      delivery.dropped = true;
      return delivery;
    }
    const copies = this.#duplicate ? 2 : 1;
    for (let copy = 0; copy < copies; copy += 1) {
      const sending = fetch(hook.target_url, { method: 'POST', headers, body })
        .then(async (response) => {
          await response.arrayBuffer();
          delivery.status = response.status;
        })
        // CVAT records a connection error as 502 and moves on: no retry in 2.39.
        .catch(() => {
          delivery.status = 502;
        })
        .finally(() => this.#pending.delete(sending));
      this.#pending.add(sending);
    }
    return delivery;
  }
}
