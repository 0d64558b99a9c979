/**
 * The editor's only door to the engine. The browser build uses the WebSocket transport against
 * `rlc serve`; the desktop app uses a MessagePort to its engine process. Both carry the same
 * messages (protocol.ts), checked with the same schemas.
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

/**
 * What carries the messages: a WebSocket (`rlc serve`), a MessagePort (the desktop app's engine
 * process), or a Node child process's IPC channel (tests, tools). Messages are plain objects; the
 * transport encodes them as it needs.
 */
export interface Transport {
  send(message: object): void;
  onMessage(handler: (data: unknown) => void): void;
  /** The other end went away (socket closed, engine process exited). */
  onClose(handler: (reason: string) => void): void;
  close(): void;
}

/** An EngineClient over any transport. */
export class MessageEngineClient implements EngineClient {
  private readonly pending = new Map<string, { resolve: (m: ServerMessage) => void; reject: (e: Error) => void }>();
  private readonly handlers = new Set<(runId: string, event: Record<string, unknown>) => void>();
  private readonly closeHandlers = new Set<(reason: string) => void>();
  private counter = 0;
  private closedReason: string | null = null;
  /** The engine host's greeting (backend in use, workspace), once it has arrived. */
  hello: Reply<'hello'> | null = null;
  private readonly helloWaiters: ((hello: Reply<'hello'>) => void)[] = [];

  constructor(private readonly transport: Transport) {
    transport.onMessage((data) => this.receive(data));
    transport.onClose((reason) => {
      if (this.closedReason !== null) return;
      this.closedReason = reason;
      for (const p of this.pending.values()) p.reject(new Error(reason));
      this.pending.clear();
      for (const h of this.closeHandlers) h(reason);
    });
  }

  /** Whether the connection is gone (and why). */
  get closed(): string | null {
    return this.closedReason;
  }

  request(message: ClientMessage): Promise<ServerMessage> {
    if (this.closedReason !== null) return Promise.reject(new Error(this.closedReason));
    const requestId = `r${++this.counter}`;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      this.transport.send({ ...message, requestId });
    });
  }

  /** Typed convenience: the reply must have the expected type. */
  async call<T extends ServerMessage['type']>(message: ClientMessage, expected: T): Promise<Reply<T>> {
    const reply = await this.request(message);
    if (reply.type !== expected) throw new Error(`expected a '${expected}' reply, got '${reply.type}'`);
    return reply as Reply<T>;
  }

  /** Resolves with the host's greeting (sent when the connection opens). */
  greeting(): Promise<Reply<'hello'>> {
    if (this.hello) return Promise.resolve(this.hello);
    return new Promise((resolve) => this.helloWaiters.push(resolve));
  }

  onRunEvent(handler: (runId: string, event: Record<string, unknown>) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** The connection closed or the engine process died: `reason` says which. */
  onClose(handler: (reason: string) => void): () => void {
    this.closeHandlers.add(handler);
    return () => this.closeHandlers.delete(handler);
  }

  close(): void {
    this.transport.close();
  }

  private receive(data: unknown): void {
    const parsed = serverMessageSchema.safeParse(data);
    if (!parsed.success) return; // an engine newer than this editor: ignore what it cannot read
    const message = parsed.data;
    if (message.type === 'hello') {
      this.hello = message;
      for (const w of this.helloWaiters.splice(0)) w(message);
      return;
    }
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

/** The subset of the WebSocket API shared by browsers and the `ws` package. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

export function webSocketTransport(socket: SocketLike): Transport {
  return {
    send: (message) => socket.send(JSON.stringify(message)),
    onMessage: (handler) =>
      socket.addEventListener('message', ({ data }) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(String(data));
        } catch {
          return;
        }
        handler(parsed);
      }),
    onClose: (handler) => socket.addEventListener('close', () => handler('connection closed')),
    close: () => socket.close(),
  };
}

/** The client over a WebSocket to `rlc serve`. */
export class WebSocketEngineClient extends MessageEngineClient {
  /** Opens a connection; `url` is ws://host:port/ws?token=… */
  static connect(url: string, create: (url: string) => SocketLike): Promise<WebSocketEngineClient> {
    const socket = create(url);
    return new Promise((resolve, reject) => {
      // Listening before 'open' so the host's greeting (its first message) is not missed.
      const client = new WebSocketEngineClient(webSocketTransport(socket));
      socket.addEventListener('open', () => resolve(client));
      socket.addEventListener('error', () => reject(new Error(`cannot connect to ${url.replace(/token=[^&]+/, 'token=…')}`)));
    });
  }
}

/**
 * The subset of a MessagePort used here: the DOM's (renderer) and Node's `worker_threads` one
 * both have it. A port has no close event, so the desktop shell reports an engine crash itself.
 */
export interface PortLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  start(): void;
  close(): void;
}

export function messagePortTransport(port: PortLike): Transport {
  const closeHandlers: ((reason: string) => void)[] = [];
  return {
    send: (message) => port.postMessage(message),
    onMessage: (handler) => {
      port.addEventListener('message', (event) => handler(event.data));
      port.start();
    },
    onClose: (handler) => closeHandlers.push(handler),
    close: () => {
      port.close();
      for (const h of closeHandlers) h('connection closed');
    },
  };
}

/** The client over a MessagePort to the desktop app's engine process. */
export class MessagePortEngineClient extends MessageEngineClient {
  /** `lost(reason)` lets the owner report that the other end died (ports have no close event). */
  readonly lost: (reason: string) => void;

  constructor(port: PortLike) {
    const closeHandlers: ((reason: string) => void)[] = [];
    const base = messagePortTransport(port);
    super({
      send: base.send,
      onMessage: base.onMessage,
      onClose: (handler) => {
        closeHandlers.push(handler);
        base.onClose(handler);
      },
      close: base.close,
    });
    this.lost = (reason) => {
      for (const h of closeHandlers) h(reason);
    };
  }
}
