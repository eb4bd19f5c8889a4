// Line wrapping for plain-text emails: mail programs show long lines unwrapped or wrap them badly.

/** Wraps at word boundaries to `width` columns; a word longer than that (a URL) stays whole on its own line. */
export function wrapText(text: string, width = 72, firstPrefix = '', restPrefix = firstPrefix): string {
  const lines: string[] = [];
  let line = firstPrefix;
  let empty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = restPrefix;
      empty = true;
    }
    line += (empty ? '' : ' ') + word;
    empty = false;
  }
  lines.push(line);
  return lines.join('\n');
}
