// The slice of pino the policy service uses, so tests can hand in a recorder and main.ts a pino logger.
export interface PolicyLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: PolicyLogger = { debug() {}, info() {}, warn() {}, error() {} };
