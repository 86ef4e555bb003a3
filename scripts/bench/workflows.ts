/** Bench-only workflow: places one order per Update through the product's order activity and retry policy. */
import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { DeskActivities } from '../../activities';
import type { ExchangeId, OrderIntent } from '../../domain/market';
import { ORDER_ACTIVITY_OPTIONS } from '../../workflows/trading-session';

const { placeOrder } = proxyActivities<DeskActivities>(ORDER_ACTIVITY_OPTIONS);

export const placeUpdate = defineUpdate<string, [{ intent: OrderIntent; clientOrderId: string }]>('place');
export const doneUpdate = defineUpdate<void, []>('done');

export async function orderDeskWorkflow(input: { exchange: ExchangeId; account: string }): Promise<void> {
  let done = false;
  setHandler(placeUpdate, async ({ intent, clientOrderId }) => {
    const r = await placeOrder({ exchange: input.exchange, account: input.account, session: 'bench', intent, clientOrderId });
    return r.order.id;
  });
  setHandler(doneUpdate, () => {
    done = true;
  });
  await condition(() => done);
}
