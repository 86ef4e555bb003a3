/**
 * Each venue host's clock against this process's, as last measured: what ccxt's signed requests are
 * stamped with (its `timeDifference`, which every venue's nonce subtracts). One per process, shared
 * by its gateways (CcxtGatewayProvider's), so a key audit, a snapshot and an order all sign alike.
 */
export class VenueClocks {
  private readonly differences = new Map<string, number>();

  /** `assumeInSync`: unmeasured hosts sign on this clock (recorded venue answers in tests have no clock to ask). */
  constructor(private readonly opts: { assumeInSync?: boolean } = {}) {}

  /** The difference to sign with (host clock less venue clock), or undefined before a measurement. */
  differenceMs(host: string): number | undefined {
    return this.differences.get(host) ?? (this.opts.assumeInSync ? 0 : undefined);
  }

  measured(host: string, differenceMs: number): void {
    this.differences.set(host, differenceMs);
  }

  /** A request was refused for its window: measure again before the next one. */
  forget(host: string): void {
    this.differences.delete(host);
  }
}
