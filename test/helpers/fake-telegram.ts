/**
 * A loopback fake of the Telegram Bot API (node:http): grammy talks to it
 * through `client.apiRoot`, so nothing ever reaches api.telegram.org. It
 * records every call, answers like Telegram (including 401, 429 and 5xx on
 * demand) and serves long polling for `bot.start()` from a queue of updates.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Update, UserFromGetMe } from 'grammy/types';

/** Shaped like a real token so the redaction patterns are exercised, not bypassed. */
export const FAKE_BOT_TOKEN = '7000000001:AAFakeTokenForWardenTests_0123456789abcdef';

export const FAKE_BOT_INFO: UserFromGetMe = {
  id: 7000000001,
  is_bot: true,
  first_name: 'Warden',
  username: 'WardenTestBot',
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
} as UserFromGetMe;

export interface RecordedCall {
  method: string;
  token: string;
  payload: Record<string, unknown>;
  /** The HTTP status the fake answered with. */
  status: number;
  /** The JSON body answered (getUpdates: when the poll was opened, so none). */
  response?: BotApiBody;
}

/** What the Bot API answers: a result, or an error code and description. */
export interface BotApiBody {
  ok: boolean;
  result?: unknown;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

type Failure = { kind: 'flood'; retryAfter: number } | { kind: 'server'; status: number };

interface Poll {
  offset: number;
  limit: number;
  respond: (updates: Update[]) => void;
}

interface Waiter {
  match: (c: RecordedCall) => boolean;
  resolve: (c: RecordedCall) => void;
}

export interface FakeTelegram {
  apiRoot: string;
  token: string;
  botInfo: UserFromGetMe;
  readonly calls: readonly RecordedCall[];
  callsTo(method: string): RecordedCall[];
  /** Texts of successful sendMessage calls to one chat. */
  sentTo(chatId: number): string[];
  /** The next `count` calls to `method` answer 429 with `retry_after`. */
  failWithFlood(method: string, count: number, retryAfter?: number): void;
  /** The next `count` calls to `method` answer with a 5xx. */
  failWithServerError(method: string, count: number, status?: number): void;
  /** Queues an update for getUpdates (long polling). */
  enqueueUpdate(update: Update): void;
  /** Resolves with the first recorded call (past or future) that matches. */
  waitForCall(match: (c: RecordedCall) => boolean): Promise<RecordedCall>;
  reset(): void;
  close(): Promise<void>;
}

async function readPayload(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  if (!body.length) return {};
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  // grammy switches to multipart when a file is attached; objects travel as JSON strings.
  const form = await new Response(body, { headers: { 'content-type': type } }).formData();
  const out: Record<string, unknown> = {};
  form.forEach((value, key) => {
    if (typeof value !== 'string') return void (out[key] = '[file]');
    try {
      out[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
    } catch {
      out[key] = value;
    }
  });
  return out;
}

export async function startFakeTelegram(opts: { token?: string; botInfo?: UserFromGetMe } = {}): Promise<FakeTelegram> {
  const token = opts.token ?? FAKE_BOT_TOKEN;
  const botInfo = opts.botInfo ?? FAKE_BOT_INFO;
  const calls: RecordedCall[] = [];
  const failures = new Map<string, Failure[]>();
  let waiters: Waiter[] = [];
  let updates: Update[] = [];
  let polls: Poll[] = [];
  let messageId = 1000;

  const record = (call: RecordedCall) => {
    calls.push(call);
    const hit = waiters.filter((w) => w.match(call));
    waiters = waiters.filter((w) => !hit.includes(w));
    hit.forEach((w) => w.resolve(call));
  };

  const servePolls = () => {
    polls = polls.filter((p) => {
      const ready = updates.filter((u) => u.update_id >= p.offset).slice(0, p.limit);
      if (!ready.length) return true;
      p.respond(ready);
      return false;
    });
  };

  const message = (chatId: unknown, text: unknown, extra: Record<string, unknown> = {}) => ({
    message_id: ++messageId,
    date: Math.floor(Date.now() / 1000),
    chat: typeof chatId === 'number' && chatId < 0 ? { id: chatId, type: 'supergroup', title: 'ops' } : { id: chatId, type: 'private', first_name: 'op' },
    from: { id: botInfo.id, is_bot: true, first_name: botInfo.first_name, username: botInfo.username },
    text,
    ...extra,
  });

  const badRequest = (description: string) => ({ status: 400, body: { ok: false, error_code: 400, description: `Bad Request: ${description}` } });
  const ok = (result: unknown) => ({ status: 200, body: { ok: true, result } });

  function answer(method: string, p: Record<string, unknown>): { status: number; body: BotApiBody } | 'poll' {
    switch (method) {
      case 'getMe':
        return ok(botInfo);
      case 'sendMessage': {
        if (p.chat_id === undefined) return badRequest('chat_id is empty');
        if (typeof p.text !== 'string' || !p.text.trim()) return badRequest('message text is empty');
        if (p.text.length > 4096) return badRequest('message is too long');
        return ok(message(p.chat_id, p.text, p.reply_markup ? { reply_markup: p.reply_markup } : {}));
      }
      case 'editMessageText':
        if (typeof p.text !== 'string' || !p.text.trim()) return badRequest('message text is empty');
        return ok(message(p.chat_id, p.text));
      case 'answerCallbackQuery':
        return p.callback_query_id ? ok(true) : badRequest('query is too old and response timeout expired or query ID is invalid');
      case 'deleteMessage':
      case 'deleteWebhook':
      case 'setMyCommands':
        return ok(true);
      case 'getUpdates':
        return 'poll';
      default:
        return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse, send: (status: number, body: unknown) => void) => {
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
    if (!m) return send(404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, callToken, method] = m as unknown as [string, string, string];
    const payload = await readPayload(req);
    const reply = (status: number, body: BotApiBody) => {
      record({ method, token: callToken, payload, status, response: body });
      send(status, body);
    };
    if (callToken !== token) return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const failure = failures.get(method)?.shift();
    if (failure?.kind === 'flood') {
      return reply(429, {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${failure.retryAfter}`,
        parameters: { retry_after: failure.retryAfter },
      });
    }
    if (failure?.kind === 'server') return reply(failure.status, { ok: false, error_code: failure.status, description: 'Internal Server Error' });
    const result = answer(method, payload);
    if (result !== 'poll') return reply(result.status, result.body);

    // Long polling: confirm everything below the offset, then answer now or when an update arrives.
    const offset = Number(payload.offset ?? 0);
    const limit = Number(payload.limit ?? 100);
    const timeoutMs = Math.min(Number(payload.timeout ?? 0), 30) * 1000;
    if (offset > 0) updates = updates.filter((u) => u.update_id >= offset);
    record({ method, token: callToken, payload, status: 200 });
    let timer: NodeJS.Timeout | undefined;
    const poll: Poll = {
      offset,
      limit,
      respond: (batch) => {
        clearTimeout(timer);
        send(200, { ok: true, result: batch });
      },
    };
    polls.push(poll);
    servePolls();
    if (!polls.includes(poll)) return;
    const drop = () => {
      polls = polls.filter((p) => p !== poll);
    };
    if (timeoutMs === 0) {
      drop();
      return poll.respond([]);
    }
    timer = setTimeout(() => {
      drop();
      poll.respond([]);
    }, timeoutMs);
    // grammy aborts the pending poll on bot.stop().
    res.on('close', () => {
      clearTimeout(timer);
      drop();
    });
  };

  // http ignores a listener's promise: a body that does not parse (or a request
  // aborted mid-body) must answer 400 like Telegram, not reject unhandled.
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    handle(req, res, send).catch((err: unknown) => send(400, { ok: false, error_code: 400, description: `Bad Request: ${String(err)}` }));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    botInfo,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    sentTo: (chatId) => calls.filter((c) => c.method === 'sendMessage' && c.status === 200 && c.payload.chat_id === chatId).map((c) => String(c.payload.text)),
    failWithFlood(method, count, retryAfter = 1) {
      const list = failures.get(method) ?? [];
      for (let i = 0; i < count; i++) list.push({ kind: 'flood', retryAfter });
      failures.set(method, list);
    },
    failWithServerError(method, count, status = 502) {
      const list = failures.get(method) ?? [];
      for (let i = 0; i < count; i++) list.push({ kind: 'server', status });
      failures.set(method, list);
    },
    enqueueUpdate(update) {
      updates.push(update);
      servePolls();
    },
    waitForCall(match) {
      const seen = calls.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    reset() {
      calls.length = 0;
      failures.clear();
      updates = [];
      waiters = [];
    },
    close() {
      polls.forEach((p) => p.respond([]));
      polls = [];
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- synthetic updates -------------------------------------------------------------

let nextUpdateId = 1;
let nextMessageId = 1;

export interface Sender {
  userId: number;
  chatId: number;
  username?: string;
}

function chatOf(chatId: number) {
  return chatId < 0 ? { id: chatId, type: 'supergroup' as const, title: 'ops' } : { id: chatId, type: 'private' as const, first_name: 'op' };
}

function userOf(s: Sender, isBot = false) {
  return { id: s.userId, is_bot: isBot, first_name: 'op', ...(s.username ? { username: s.username } : {}) };
}

export interface TextOptions {
  /** Unix seconds; default now (the real clock). */
  date?: number;
  /** Makes it a forward of a message by this user id (what Telegram sets on a forwarded message). */
  forwardedFrom?: number;
  /** The sender is a bot account. */
  isBot?: boolean;
}

/** A text message as Telegram delivers it, with the bot_command entity a client adds. */
export function textUpdate(s: Sender, text: string, opts: TextOptions = {}): Update {
  const command = /^\/\S+/.exec(text);
  const date = opts.date ?? Math.floor(Date.now() / 1000);
  return {
    update_id: nextUpdateId++,
    message: {
      message_id: nextMessageId++,
      date,
      chat: chatOf(s.chatId),
      from: userOf(s, opts.isBot),
      text,
      ...(command ? { entities: [{ type: 'bot_command' as const, offset: 0, length: command[0].length }] } : {}),
      ...(opts.forwardedFrom !== undefined
        ? { forward_origin: { type: 'user' as const, date: date - 60, sender_user: { id: opts.forwardedFrom, is_bot: false, first_name: 'someone' } } }
        : {}),
    },
  } as Update;
}

/** A button press on one of the bot's messages. */
export function callbackUpdate(s: Sender, data: string, messageId: number): Update {
  return {
    update_id: nextUpdateId++,
    callback_query: {
      id: `cbq-${nextUpdateId}`,
      from: userOf(s),
      chat_instance: 'ci-1',
      data,
      message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        chat: chatOf(s.chatId),
        from: { id: FAKE_BOT_INFO.id, is_bot: true, first_name: 'Warden', username: FAKE_BOT_INFO.username },
        text: 'Resume trading on every session?',
      },
    },
  } as Update;
}
