/**
 * The editor's only door to the engine. The browser build uses the WebSocket transport against
 * `rlc serve`; the desktop app will supply an IPC transport with the same messages.
 */
import type { ClientMessage, ServerMessage } from './protocol.ts';
import { serverMessageSchema } from './protocol.ts';

type Reply<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

export interface EngineClient {
  /** Sends a request and resolves with its reply (or rejects with the engine's problems). */
  request(message: ClientMessage): Promise<ServerMessage>;
  /** Run events (state, progress, metrics, log, error, summary) of the runs this client follows. */
  onRunEvent(handler: (runId: string, event: Record<string, unknown>) => void): () => void;
  close(): void;
}

/** The subset of the WebSocket API shared by browsers and the `ws` package. */
interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

export class WebSocketEngineClient implements EngineClient {
  private readonly pending = new Map<string, { resolve: (m: ServerMessage) => void; reject: (e: Error) => void }>();
  private readonly handlers = new Set<(runId: string, event: Record<string, unknown>) => void>();
  private counter = 0;

  private constructor(private readonly socket: SocketLike) {
    socket.addEventListener('message', ({ data }) => this.receive(String(data)));
    socket.addEventListener('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('connection closed'));
      this.pending.clear();
    });
  }

  /** Opens a connection; `url` is ws://host:port/ws?token=… */
  static connect(url: string, create: (url: string) => SocketLike): Promise<WebSocketEngineClient> {
    const socket = create(url);
    return new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(new WebSocketEngineClient(socket)));
      socket.addEventListener('error', () => reject(new Error(`cannot connect to ${url.replace(/token=[^&]+/, 'token=…')}`)));
    });
  }

  request(message: ClientMessage): Promise<ServerMessage> {
    const requestId = `r${++this.counter}`;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      this.socket.send(JSON.stringify({ ...message, requestId }));
    });
  }

  /** Typed convenience: the reply must have the expected type. */
  async call<T extends ServerMessage['type']>(message: ClientMessage, expected: T): Promise<Reply<T>> {
    const reply = await this.request(message);
    if (reply.type !== expected) throw new Error(`expected a '${expected}' reply, got '${reply.type}'`);
    return reply as Reply<T>;
  }

  onRunEvent(handler: (runId: string, event: Record<string, unknown>) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  close(): void {
    this.socket.close();
  }

  private receive(text: string): void {
    const parsed = serverMessageSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return; // an engine newer than this editor: ignore what it cannot read
    const message = parsed.data;
    if (message.type === 'run.event') {
      for (const h of this.handlers) h(message.runId, message.event);
      return;
    }
    const requestId = 'requestId' in message ? message.requestId : undefined;
    const waiting = requestId ? this.pending.get(requestId) : undefined;
    if (!waiting || !requestId) return;
    this.pending.delete(requestId);
    if (message.type === 'error') waiting.reject(Object.assign(new Error(message.problems.map((p) => p.message).join('\n')), { problems: message.problems }));
    else waiting.resolve(message);
  }
}
