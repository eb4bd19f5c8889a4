// A Subject is a single header line: whatever text goes into it must not be able to start another header.

const SUBJECT_MAX = 200;

/** Control characters (CR/LF above all) become spaces, runs of space collapse, and the length is capped. */
export function oneLineSubject(subject: string): string {
  const flat = subject
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return [...flat].slice(0, SUBJECT_MAX).join('');
}
