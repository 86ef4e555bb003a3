/**
 * Failure types that cross the activity/workflow boundary: the `type` of the ApplicationFailure an
 * activity (or a workflow) fails with, which workflows name in their retry policies
 * (`nonRetryableErrorTypes`) and act on. Most are the adapters' error names (err.name); the
 * contracts test holds each to its adapter. Running workflows' retry policies carry these
 * strings: never change one.
 */
export const FAILURE = {
  /** The venue refused the key (revoked, insufficient rights): adapters/exchange/errors.ts, GATEWAY_ERROR_TYPES.auth. */
  exchangeAuth: 'ExchangeAuth',
  /** The venue refused the request itself (insufficient funds, invalid order): GATEWAY_ERROR_TYPES.rejected. */
  exchangeRejected: 'ExchangeRejected',
  /** A stored secret is not the shape the desk reads: adapters/secrets/types.ts, SecretFormatError. */
  secretFormat: 'SecretFormatError',
  /** No such secret (or stage): adapters/secrets/types.ts, SecretNotFoundError. */
  secretNotFound: 'SecretNotFoundError',
  /** A rotation step found the secret's stages not as it expected: adapters/secrets/rotation.ts, RotationStateError. */
  rotationState: 'RotationStateError',
  /** The worker has no secret rotator (activities/security.ts). */
  rotationUnavailable: 'RotationUnavailable',
  /** A session refused to start on a CRITICAL key audit (workflows/trading-session.ts). */
  keyAuditCritical: 'KeyAuditCritical',
} as const;

export type FailureType = (typeof FAILURE)[keyof typeof FAILURE];
