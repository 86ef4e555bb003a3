import type { WorkflowHandle } from '@temporalio/client';

/** A workflow's exported history as text, with every payload decoded so a scan sees what Temporal stored. */
export async function historyText(handle: WorkflowHandle): Promise<string> {
  const json = JSON.stringify(await handle.fetchHistory());
  return json.replace(/"data":"([A-Za-z0-9+/=]+)"/g, (_m, b64: string) => `"data":${JSON.stringify(Buffer.from(b64, 'base64').toString('utf8'))}`);
}
