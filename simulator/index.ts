/** Local exchange simulator: binance, okx and bybit REST dialects on one port, for tests and the paper desk. */
export { startSimulator, DEFAULT_SIM_PORT, type Simulator, type SimulatorOptions } from './server';
export { registerPaperKeys, PAPER_ACCOUNT, PAPER_BALANCES, type PaperKeys, type PaperCredentials } from './paper';
export { parseOhlcvCsv, DEFAULT_SYMBOLS, type CsvReplaySpec, type SymbolInput, type PriceMove } from './market';
export type { FaultPatch, VenueFaults } from './faults';
export { VENUES, type VenueId, type ApiKeySpec, type KeyPermissions, type SimOrder, type BalanceView, type PublicKeyView, type SymbolSpec, type Candle } from './types';
