/** Where the bar draws: a TTY stream (its width when known); anything else gets no bar. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export interface Progress {
  /** Sets how much is done (of `total`). */
  update(done: number): void;
  /** Draws the final state and ends the line. */
  done(): void;
}

const NONE: Progress = { update() {}, done() {} };

/**
 * A one-line progress bar, redrawn in place with `\r`, at most every 100 ms. Nothing is
 * written when the stream is not a terminal, so piped and scripted runs stay clean.
 */
export function progressBar(stream: ProgressStream, label: string, total: number): Progress {
  if (!stream.isTTY || total <= 0) return NONE;
  let current = 0;
  let drawn = -1;
  let drawnAt = 0;
  let finished = false;
  const draw = () => {
    const counts = `${current}/${total}`;
    const width = Math.max(
      10,
      Math.min(40, (stream.columns ?? 80) - label.length - counts.length - 12),
    );
    const filled = Math.round((current / total) * width);
    const percent = String(Math.floor((current / total) * 100)).padStart(3);
    stream.write(
      `\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}% ${counts}`,
    );
    drawn = current;
    drawnAt = Date.now();
  };
  draw();
  return {
    update(done) {
      current = Math.min(total, Math.max(0, done));
      if (current !== drawn && (Date.now() - drawnAt >= 100 || current === total)) draw();
    },
    done() {
      if (finished) return;
      finished = true;
      if (current !== drawn) draw();
      stream.write('\n');
    },
  };
}

export interface StatusLine {
  /** Shows `text` as the current state. */
  update(text: string): void;
  /** Ends the line (a terminal keeps the last state shown). */
  done(): void;
}

/**
 * The state of something being waited for. On a terminal: one line redrawn in place. Else:
 * a line `label: text` each time the text changes, so logs show every transition once.
 */
export function statusLine(stream: ProgressStream, label: string): StatusLine {
  let shown: string | undefined;
  let width = 0;
  let finished = false;
  return {
    update(text) {
      if (finished || text === shown) return;
      shown = text;
      const line = `${label}: ${text}`;
      if (stream.isTTY) {
        const max = Math.max(20, (stream.columns ?? 80) - 1);
        const clipped = line.length > max ? `${line.slice(0, max - 1)}…` : line;
        stream.write(`\r${clipped.padEnd(width)}`);
        width = clipped.length;
      } else {
        stream.write(`${line}\n`);
      }
    },
    done() {
      if (finished) return;
      finished = true;
      if (stream.isTTY && shown !== undefined) stream.write('\n');
    },
  };
}
