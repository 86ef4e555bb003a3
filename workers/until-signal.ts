/** Resolves on the first SIGINT/SIGTERM so entry points can shut down in order. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => resolve(sig);
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}
