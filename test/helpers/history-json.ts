/**
 * Workflow histories as JSON, both ways: the proto3 JSON that `temporal workflow show --output json`
 * and the Web UI's export write, and that test/fixtures/histories holds.
 *
 * Not the SDK's historyToJSON/historyFromJSON (@temporalio/common/lib/proto-utils): they pair
 * @temporalio/proto's message types with @temporalio/common's own copy of protobufjs. In this
 * install those are two copies of protobufjs 8.8.1 (ccxt's optional peer keeps protobufjs 7 at the
 * top of node_modules, so npm nests 8.8.1 under each @temporalio package), protobufjs' own
 * `instanceof Type` check fails, and both throw "type must be a Type". So does
 * Worker.runReplayHistory given a JSON object. Here the converter is the copy of protobufjs that
 * @temporalio/proto itself loads, whatever the layout.
 */
import { createRequire } from 'node:module';
import type { History } from '@temporalio/common/lib/proto-utils';

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}
interface ProtoRoot {
  lookupType(name: string): unknown;
  temporal: { api: { history: { v1: { History: { fromObject(h: History): unknown } } } } };
}

const req = createRequire(import.meta.url);
const fromProto = createRequire(req.resolve('@temporalio/proto'));
const { toJson, fromJson } = fromProto('protobufjs/ext/protojson') as ProtoJson;
const proto = req('@temporalio/proto') as ProtoRoot;
const { patchProtobufRoot } = req('@temporalio/proto/lib/patch-protobuf-root') as { patchProtobufRoot: <T>(root: T) => T };
const historyType = patchProtobufRoot(proto).lookupType('temporal.api.history.v1.History');

/** A history (as `handle.fetchHistory()` returns it) as proto3 JSON text. */
export function historyToJson(history: History): string {
  return JSON.stringify(toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 2);
}

/** A history from proto3 JSON text, as Worker.runReplayHistory takes it. Fields this SDK does not know are ignored (a newer server's). */
export function historyFromJson(text: string): History {
  const parsed: unknown = JSON.parse(text);
  if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as { events?: unknown }).events)) throw new TypeError('not a workflow history: expected an object with an array of events');
  return fromJson(historyType, parsed, { ignoreUnknownFields: true }) as History;
}
