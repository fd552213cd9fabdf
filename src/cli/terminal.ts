/**
 * A stream that shares one terminal between log lines and a live status line: every write clears the
 * status line, prints, and draws the status again underneath. On a non-TTY the status line is never drawn.
 * It is also a valid pino destination.
 */
export interface Terminal {
  write(text: string): boolean;
  /** Replaces the live status line (TTY only). */
  status(text: string): void;
  /** Removes the status line, leaving the terminal clean for a summary. */
  clearStatus(): void;
  readonly isTTY: boolean;
}

export function createTerminal(stream: NodeJS.WriteStream): Terminal {
  const isTTY = stream.isTTY === true;
  let current = '';
  const clear = () => {
    if (isTTY && current !== '') stream.write('\r\x1b[K');
  };
  return {
    isTTY,
    write(text) {
      clear();
      const ok = stream.write(text);
      if (isTTY && current !== '') stream.write(current);
      return ok;
    },
    status(text) {
      if (!isTTY) return;
      clear();
      // A line as wide as the terminal would wrap, and `\r` would then clear only its last row. A pseudo-terminal
      // nobody sized reports 0 columns: taken as unknown.
      const width = (stream.columns || 120) - 1;
      current = text.length > width ? text.slice(0, width) : text;
      stream.write(current);
    },
    clearStatus() {
      clear();
      current = '';
    },
  };
}
