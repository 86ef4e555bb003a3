import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GATEWAY_ERROR_TYPES } from '../adapters/exchange/errors';
import { RotationStateError } from '../adapters/secrets/rotation';
import { SecretFormatError, SecretNotFoundError } from '../adapters/secrets/types';
import * as desk from '../contracts/desk';
import { FAILURE } from '../contracts/failures';
import * as incident from '../contracts/incident';
import * as rebalance from '../contracts/rebalance';
import * as rotation from '../contracts/rotation';
import * as session from '../contracts/session';
import * as workflows from '../workflows';

const CONTRACTS_DIR = fileURLToPath(new URL('../contracts/', import.meta.url));

describe('contracts', () => {
  // Running workflows' histories name these: a renamed message breaks every workflow already running.
  it('keeps every Update, Signal and Query name', () => {
    const names = (m: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(m)
          .filter((e): e is [string, { type: string; name: string }] => typeof e[1] === 'object' && e[1] !== null && 'type' in e[1] && 'name' in e[1])
          .map(([k, d]) => [k, `${d.type} ${d.name}`]),
      );
    expect(names(session)).toEqual({
      stopUpdate: 'update stop',
      stopSignal: 'signal stopRequested',
      pauseUpdate: 'update pause',
      resumeUpdate: 'update resume',
      forceOpenUpdate: 'update forceOpen',
      statusQuery: 'query status',
      rebalanceDoneSignal: 'signal rebalanceDone',
      keyAuditResultSignal: 'signal keyAuditResult',
    });
    expect(names(incident)).toEqual({
      acknowledgeUpdate: 'update acknowledge',
      falsePositiveUpdate: 'update markFalsePositive',
      confirmContainmentUpdate: 'update confirmContainment',
      recordFindingsUpdate: 'update recordFindings',
      approveResumeUpdate: 'update approveResume',
      retriggerSignal: 'signal retrigger',
      incidentStatusQuery: 'query incidentStatus',
    });
    expect(names(rebalance)).toEqual({
      confirmTransferUpdate: 'update confirmTransfer',
      rejectRebalanceUpdate: 'update rejectRebalance',
      rebalanceStatusQuery: 'query rebalanceStatus',
    });
    expect(names(rotation)).toEqual({
      pendingStoredUpdate: 'update pendingStored',
      oldKeyRevokedUpdate: 'update oldKeyRevoked',
      rotationStatusQuery: 'query rotationStatus',
    });
    expect(names(desk)).toEqual({ deskStatusQuery: 'query deskStatus', stopDeskUpdate: 'update stopDesk' });
  });

  it('keeps the workflow ids', () => {
    expect(session.sessionWorkflowId('binance', 'main')).toBe('session/binance/main');
    expect(rebalance.rebalanceWorkflowId('okx', 'main')).toBe('rebalance/okx/main');
    expect(rotation.rotateWorkflowId('bybit', 'main', 'trading')).toBe('rotate/bybit/main/trading');
    expect(desk.deskWorkflowId('desk')).toBe('desk/desk');
    expect(incident.incidentWorkflowId('circuit_breaker_triggered:binance/main:key_audit')).toBe('incident/circuit_breaker_triggered:binance/main:key_audit');
  });

  it('names workflow types the workers register', () => {
    for (const type of [session.sessionWorkflowType, incident.incidentWorkflowType, rebalance.rebalanceWorkflowType]) {
      expect(typeof (workflows as Record<string, unknown>)[type], type).toBe('function');
    }
  });

  it('names each failure type as the adapter that throws it does', () => {
    expect(FAILURE.exchangeAuth).toBe(GATEWAY_ERROR_TYPES.auth);
    expect(FAILURE.exchangeRejected).toBe(GATEWAY_ERROR_TYPES.rejected);
    expect(FAILURE.secretFormat).toBe(new SecretFormatError('s', []).name);
    expect(FAILURE.secretNotFound).toBe(new SecretNotFoundError('s').name);
    expect(FAILURE.rotationState).toBe(new RotationStateError('m').name);
  });

  // Clients load them, and so do workflows (bundled into the sandbox): the define* functions and pure rules only.
  it.each(readdirSync(CONTRACTS_DIR).filter((f) => f.endsWith('.ts')))('%s imports only @temporalio/workflow, domain/ and other contracts', (file) => {
    const src = readFileSync(join(CONTRACTS_DIR, file), 'utf8');
    for (const [, spec] of src.matchAll(/from ['"]([^'"]+)['"]/g)) expect(spec).toMatch(/^(@temporalio\/workflow|\.\.\/domain\/[a-z-]+|\.\/[a-z-]+)$/);
  });
});
