import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall } from './admin-client.js';
import { type CvatEmulator, pythonJsonDumps, startCvatEmulator } from './index.js';
import { cvatContract } from './server.js';

let cvat: CvatEmulator;
beforeAll(async () => {
  cvat = await startCvatEmulator({ organizations: ['acme'] });
}, 60_000);
afterAll(() => cvat.stop());

const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  adminCall(cvat, method, path, body, headers);

describe('CVAT emulator: transport', () => {
  it('answers in application/vnd.cvat+json and serves both trailing-slash forms', async () => {
    const bare = await call('GET', '/api/server/about');
    const slashed = await call('GET', '/api/server/about/');
    expect(bare).toMatchObject({ status: 200, type: 'application/vnd.cvat+json' });
    expect(slashed.body).toEqual(bare.body);
    expect(cvat.violations()).toEqual([]);
  });

  it('pages lists by 10 with absolute next links', async () => {
    for (let index = 0; index < 12; index += 1) {
      await call('POST', '/api/projects', { name: `paged-${index}`, labels: [] });
    }
    const first = await call('GET', '/api/projects?search=paged-');
    expect(first.body.count).toBe(12);
    expect(first.body.results).toHaveLength(10);
    expect(first.body.next).toBe(`${cvat.url}/api/projects?search=paged-&page=2`);
    const next = await call('GET', String(first.body.next).slice(cvat.url.length));
    expect(next.body.results).toHaveLength(2);
    expect(next.body.next).toBeNull();
    expect(cvat.violations()).toEqual([]);
  });

  it.each([
    ['tasks_retrieve', { id: 'not-a-number' }],
    ['jobs_list', { results: 'nope' }],
  ])('holds its %s responses to the schema: a wrong one is caught', async (operationId, body) => {
    const contract = await cvatContract();
    expect(() => contract.checkResponse(operationId, 200, body)).toThrow();
  });

  it('records a request that breaks the schema and answers 500', async () => {
    const before = cvat.violations().length;
    const response = await call('POST', '/api/projects', { labels: [] });
    expect(response.status).toBe(500);
    expect(cvat.takeViolations()).toHaveLength(before + 1);
  });

  it('needs credentials', async () => {
    const response = await fetch(`${cvat.url}/api/projects`);
    expect(response.status).toBe(401);
  });

  it('logs in with a session whose unsafe requests need the CSRF token', async () => {
    const login = await fetch(`${cvat.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin-password' }),
    });
    expect(login.status).toBe(200);
    const cookies = login.headers.getSetCookie().map((each) => each.split(';')[0]);
    const csrf = cookies.find((each) => each?.startsWith('csrftoken='))?.split('=')[1] ?? '';
    const session = { cookie: cookies.join('; '), 'content-type': 'application/json' };
    const body = JSON.stringify({ name: 'by-session', labels: [] });

    const refused = await fetch(`${cvat.url}/api/projects`, {
      method: 'POST',
      headers: session,
      body,
    });
    const accepted = await fetch(`${cvat.url}/api/projects`, {
      method: 'POST',
      headers: { ...session, 'x-csrftoken': csrf },
      body,
    });
    const read = await fetch(`${cvat.url}/api/projects`, { headers: session });

    expect([refused.status, accepted.status, read.status]).toEqual([403, 201, 200]);
    expect(cvat.violations()).toEqual([]);
  });

  it('scopes objects by X-Organization', async () => {
    await call(
      'POST',
      '/api/projects',
      { name: 'org-only', labels: [] },
      { 'X-Organization': 'acme' },
    );
    const inOrg = await call('GET', '/api/projects', undefined, { 'X-Organization': 'acme' });
    expect((inOrg.body.results as Array<{ name: string }>).map((each) => each.name)).toEqual([
      'org-only',
    ]);
    expect(
      (await call('GET', '/api/projects', undefined, { 'X-Organization': 'nope' })).status,
    ).toBe(404);
  });
});

describe('CVAT emulator: webhooks', () => {
  it("serializes payloads as Python's json.dumps (reference §4)", () => {
    expect(
      pythonJsonDumps({
        event: 'ping',
        webhook: { id: 3, description: 'café' },
        sender: { id: 1, username: 'admin' },
      }),
    ).toBe(
      '{"event": "ping", "webhook": {"id": 3, "description": "caf\\u00e9"}, "sender": {"id": 1, "username": "admin"}}',
    );
  });

  it('signs update:job deliveries over the exact bytes sent, one per save', async () => {
    const received: Array<{ body: string; signature: string | undefined }> = [];
    const receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          body: Buffer.concat(chunks).toString('utf8'),
          signature: request.headers['x-signature-256'] as string | undefined,
        });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const project = await call('POST', '/api/projects', {
      name: 'hooked',
      labels: [{ name: 'car' }],
    });
    const hook = await call('POST', '/api/webhooks', {
      target_url: target,
      type: 'project',
      project_id: project.body.id,
      events: ['update:job'],
      secret: 'mykey',
    });
    expect(hook.status).toBe(201);
    const task = await call('POST', '/api/tasks', { name: 't', project_id: project.body.id });
    cvat.state.tasks
      .get(task.body.id as number)
      ?.frames.push({ width: 10, height: 10, name: 'a.jpg' });
    cvat.state.createJobs(cvat.state.tasks.get(task.body.id as number) as never, 1);

    const put = await call('PUT', `/api/tasks/${task.body.id}/annotations/`, {
      version: 0,
      shapes: [],
      tags: [],
      tracks: [],
    });
    expect(put.status).toBe(200);
    await cvat.settle();

    expect(received).toHaveLength(1);
    const [delivery] = received;
    const expected = createHmac('sha256', 'mykey')
      .update(delivery?.body ?? '')
      .digest('hex');
    expect(delivery?.signature).toBe(`sha256=${expected}`);
    expect(delivery?.body).toMatch(/^\{"event": "update:job", "job": \{"url": /);
    expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({
      before_update: { updated_date: expect.any(String) },
      webhook_id: hook.body.id,
    });
    expect(cvat.violations()).toEqual([]);
    receiver.close();
  });
});

describe('CVAT emulator: job and task states (reference §1.5)', () => {
  async function taskWithJobs() {
    const project = await call('POST', '/api/projects', {
      name: 'states',
      labels: [{ name: 'car' }],
    });
    const task = await call('POST', '/api/tasks', {
      name: 's',
      project_id: project.body.id,
      segment_size: 1,
    });
    const record = cvat.state.tasks.get(task.body.id as number);
    if (!record) throw new Error('no task');
    record.frames.push(
      { width: 4, height: 4, name: 'a.jpg' },
      { width: 4, height: 4, name: 'b.jpg' },
    );
    cvat.state.createJobs(record, 1);
    return { taskId: record.id, jobs: cvat.annotator.jobs(record.id).map((job) => job.id) };
  }

  it('keeps the task in annotation when a job is finished in stage annotation', async () => {
    const { taskId, jobs } = await taskWithJobs();
    for (const id of jobs) cvat.annotator.finishJob(id);
    const job = await call('GET', `/api/jobs/${jobs[0]}`);
    expect(job.body).toMatchObject({
      stage: 'annotation',
      state: 'completed',
      status: 'annotation',
    });
    expect((await call('GET', `/api/tasks/${taskId}`)).body.status).toBe('annotation');
  });

  it('resets the state to new when only the stage changes', async () => {
    const { jobs } = await taskWithJobs();
    cvat.annotator.finishJob(jobs[0] ?? 0);
    const patched = await call('PATCH', `/api/jobs/${jobs[0]}`, { stage: 'validation' });
    expect(patched.body).toMatchObject({ stage: 'validation', state: 'new', status: 'validation' });
  });

  it('completes the task when every job is accepted and completed', async () => {
    const { taskId, jobs } = await taskWithJobs();
    for (const id of jobs)
      await call('PATCH', `/api/jobs/${id}`, { stage: 'acceptance', state: 'completed' });
    const task = await call('GET', `/api/tasks/${taskId}`);
    expect(task.body).toMatchObject({
      status: 'completed',
      jobs: { count: 2, completed: 2, validation: 0 },
    });
    expect(cvat.violations()).toEqual([]);
  });
});

describe('CVAT emulator: mask shapes (reference §1.4)', () => {
  async function taskOf4x4() {
    const project = await call('POST', '/api/projects', {
      name: 'masks',
      labels: [{ name: 'car' }],
    });
    const task = await call('POST', '/api/tasks', { name: 'm', project_id: project.body.id });
    const record = cvat.state.tasks.get(task.body.id as number);
    if (!record) throw new Error('no task');
    record.frames.push({ width: 4, height: 4, name: 'a.jpg' });
    cvat.state.createJobs(record, 1);
    const labelId = cvat.state.labelsOf(record)[0]?.id ?? 0;
    const put = (points: number[]) =>
      call('PUT', `/api/tasks/${record.id}/annotations`, {
        version: 0,
        tags: [],
        tracks: [],
        shapes: [{ type: 'mask', frame: 0, label_id: labelId, points, attributes: [] }],
      });
    return { taskId: record.id, put };
  }

  it.each([
    ['a box past the frame', [0, 1, 3, 3, 4, 4]],
    ['runs past the box', [0, 5, 0, 0, 1, 1]],
    ['no runs', [0, 0, 1, 1]],
  ])('refuses a mask with %s', async (_name, points) => {
    const { put } = await taskOf4x4();
    expect((await put(points)).status).toBe(400);
  });

  it('lets the annotator paint and erase pixels, saving the mask over their tight box', async () => {
    const { taskId, put } = await taskOf4x4();
    expect((await put([0, 1, 1, 1, 1, 1])).status).toBe(200);
    const [shape] = cvat.annotator.shapes(taskId);
    cvat.annotator.paintMask(shape?.id ?? 0, [[3, 3]], true);
    expect(cvat.annotator.shapes(taskId)[0]?.points).toEqual([0, 1, 7, 1, 1, 1, 3, 3]);
    cvat.annotator.paintMask(shape?.id ?? 0, [[1, 1]], false);
    expect(cvat.annotator.shapes(taskId)[0]?.points).toEqual([0, 1, 3, 3, 3, 3]);
    expect(cvat.violations()).toEqual([]);
  });
});
