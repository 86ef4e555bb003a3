// Moved to workers/preflight.ts: the desk worker needs it, and workers/ sits below
// operator/ in the import layering (eslint.config.js). This re-export keeps
// operator/cli.ts and operator/commands/* compiling until they import it from
// workers/ directly; then delete it.
export * from '../workers/preflight';
