/**
 * Custom search attributes the desk registers on its Temporal namespace, so the
 * Web UI list can filter incidents by severity and phase, sessions by venue.
 */
export const SEARCH_ATTRIBUTES = {
  IncidentSeverity: 'Keyword',
  IncidentPhase: 'Keyword',
  WardenExchange: 'Keyword',
  WardenAccount: 'Keyword',
} as const;

export type SearchAttributeName = keyof typeof SEARCH_ATTRIBUTES;
