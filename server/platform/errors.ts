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
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The form field the message belongs next to. */
    readonly field?: string,
    /** For limit_exceeded: the plan limit that was hit. */
    readonly limit?: string,
  ) {
    super(message);
    this.statusCode = STATUS[code];
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} was not found.`);
