import net from 'node:net';

// A minimal client of the policy protocol, playing Postfix's part: for the bench, the tests and
// checking a running service by hand. One connection, replies matched to requests in order.

export function encodeRequest(attrs: Readonly<Record<string, string | number>>): string {
  let out = '';
  for (const [name, value] of Object.entries(attrs)) out += `${name}=${value}\n`;
  return `${out}\n`;
}

export class PolicyClient {
  private buffer = '';
  private readonly waiting: { resolve: (action: string) => void; reject: (err: Error) => void }[] = [];
  private ended = false;
  /** Resolves when the server has closed the connection (or it broke). */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        for (const w of this.waiting.splice(0)) w.reject(new Error('policy connection closed before a reply'));
        resolve();
      });
    });
    socket.on('error', () => {});
  }

  static connect(host: string, port: number): Promise<PolicyClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new PolicyClient(socket));
      });
    });
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** Sends one request and resolves with its action (the text after "action="). */
  request(attrs: Readonly<Record<string, string | number>>): Promise<string> {
    const reply = this.nextReply();
    this.socket.write(encodeRequest(attrs));
    return reply;
  }

  /** Raw bytes, for split, pipelined and malformed input; pair with nextReply(). */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The reply to the oldest request not yet answered. */
  nextReply(): Promise<string> {
    if (this.ended) return Promise.reject(new Error('policy connection is closed'));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const line = block.split('\n').find((l) => l.startsWith('action='));
      this.waiting.shift()?.resolve(line === undefined ? '' : line.slice('action='.length));
    }
  }
}
