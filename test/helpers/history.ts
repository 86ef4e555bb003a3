import type { WorkflowHandle } from '@temporalio/client';

/** A workflow's exported history as text, with every payload decoded so a scan sees what Temporal stored. */
export async function historyText(handle: WorkflowHandle): Promise<string> {
  const json = JSON.stringify(await handle.fetchHistory());
  return json.replace(/"data":"([A-Za-z0-9+/=]+)"/g, (_m, b64: string) => `"data":${JSON.stringify(Buffer.from(b64, 'base64').toString('utf8'))}`);
}

interface RawEvent {
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string }; input?: { payloads?: Array<{ data?: Uint8Array | string }> } };
}

/** The decoded first argument of every scheduled activity of one type: what the workflow intended to do. */
export async function scheduledActivityInputs<T>(handle: WorkflowHandle, activity: string): Promise<T[]> {
  const history = (await handle.fetchHistory()) as { events?: RawEvent[] };
  return (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes)
    .filter((a) => a?.activityType?.name === activity)
    .map((a) => {
      const data = a!.input!.payloads![0]!.data!;
      const text = typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(data).toString('utf8');
      return JSON.parse(text) as T;
    });
}
