/**
 * Why a mailbox could not be measured. `bad_path`, `symlink` and `not_directory` mean the maildir path
 * was refused (the stored path or the tree is suspect); `io` is any other file system failure.
 * The caller logs it and keeps the previous usage.
 */
export type ScanErrorCode = 'bad_path' | 'symlink' | 'not_directory' | 'io';

export class ScanError extends Error {
  override readonly name = 'ScanError';
  constructor(
    readonly code: ScanErrorCode,
    message: string,
    /** The path (or stored maildir value) the error is about. */
    readonly path: string,
  ) {
    super(message);
  }

  /** A refusal on purpose, as opposed to an I/O failure. */
  get refused(): boolean {
    return this.code !== 'io';
  }

  toJSON(): ScanErrorData {
    return { code: this.code, message: this.message, path: this.path };
  }

  static from(data: ScanErrorData): ScanError {
    return new ScanError(data.code, data.message, data.path);
  }
}

/** What crosses the worker boundary: Error subclasses lose their class in structured clone. */
export interface ScanErrorData {
  code: ScanErrorCode;
  message: string;
  path: string;
}
