/**
 * The service's HTTP API as the benchmarks drive it: JSON in and out, any status ≥ 300
 * thrown (a benchmark that measured a refused request would measure nothing).
 */
export function serviceApi(apiUrl: string) {
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (response.status >= 300)
      throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  /** Polls an execution until it is no longer RUNNING; returns that last look. */
  const waitExecution = async (arn: string) => {
    for (;;) {
      const execution = await api('GET', `/executions?arn=${encodeURIComponent(arn)}`);
      if (execution.status !== 'RUNNING') return execution;
      await new Promise((done) => setTimeout(done, 100));
    }
  };
  return { api, waitExecution };
}
