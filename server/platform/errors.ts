import { english, type Text } from '../core/message.js';

// Errors a service raises on purpose; the API turns them into JSON, the panel into messages next to fields.
export type ErrorCode = 'validation' | 'not_found' | 'conflict' | 'limit_exceeded' | 'forbidden' | 'unauthorized' | 'unavailable';

const STATUS: Record<ErrorCode, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  limit_exceeded: 422,
  unavailable: 503,
};

export class AppError extends Error {
  readonly statusCode: number;
  /** The message as the catalogue knows it (its key and values), for the panel to translate; `message` is its English. */
  readonly text: Text;
  constructor(
    readonly code: ErrorCode,
    text: Text,
    /** The form field the message belongs next to. */
    readonly field?: string,
    /** For limit_exceeded: the plan limit that was hit. */
    readonly limit?: string,
  ) {
    super(english(text));
    this.text = text;
    this.statusCode = STATUS[code];
  }
}

/** "Mailbox was not found.": one catalogue sentence per kind of object (German needs its article). */
export const notFound = (what: string) => new AppError('not_found', `${what} was not found.`);
