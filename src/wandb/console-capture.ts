/**
 * Console output for W&B's Logs tab, handed over line by line: what our console backend prints
 * and, with `wholeProcess` (W&B's own `console: wrap`), everything the process prints:
 * `process.stdout.write` and `process.stderr.write` are wrapped, so `console.log` and libraries
 * are copied too. What is printed is untouched and printed first; the API key is masked in the
 * copy.
 */
import { onPrintedLine } from '../console-lines.js';
import { MASK } from '../secrets.js';

export type OutputStream = 'stdout' | 'stderr';

export type OnOutputLine = (stream: OutputStream, line: string, timeMs: number) => void;

export class ConsoleCapture {
  private readonly partial: Record<OutputStream, string> = { stdout: '', stderr: '' };
  private readonly restores: (() => void)[] = [];
  /** A line being handed over: anything it prints (a warning) is not captured again. */
  private handing = false;

  constructor(
    private readonly onLine: OnOutputLine,
    /** Masks what must not be copied (see `maskingOf`). */
    private readonly mask: (line: string) => string = (line) => line,
    /** Copies everything the process prints, not only our console backend's lines. */
    wholeProcess = false,
  ) {
    this.restores.push(
      onPrintedLine(({ text, stream }) => {
        // Printed to a wrapped stream: the wrapper copies it.
        if (wholeProcess && (stream === process.stdout || stream === process.stderr)) return;
        const name = stream === process.stderr ? 'stderr' : 'stdout';
        for (const line of text.split('\n').slice(0, -1)) this.hand(name, shown(line));
      }),
    );
    if (wholeProcess) for (const name of ['stdout', 'stderr'] as const) this.wrap(name);
  }

  /** Hands over an unfinished last line and stops copying. */
  stop(): void {
    for (const restore of this.restores.splice(0)) restore();
    for (const name of ['stdout', 'stderr'] as const) {
      if (this.partial[name] !== '') this.hand(name, this.partial[name]);
      this.partial[name] = '';
    }
  }

  private wrap(name: OutputStream): void {
    const stream = process[name];
    const original = stream.write;
    const capture = this;
    const wrapper = function (this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
      const written = Reflect.apply(original, this, [chunk, ...rest]) as boolean;
      capture.take(name, chunk, typeof rest[0] === 'string' ? rest[0] : undefined);
      return written;
    } as typeof stream.write;
    stream.write = wrapper;
    this.restores.push(() => {
      // Someone wrapped the stream after us: unwrapping would remove their wrapper too.
      if (stream.write === wrapper) stream.write = original;
    });
  }

  private take(name: OutputStream, chunk: unknown, encoding: string | undefined): void {
    if (this.handing || this.restores.length === 0) return;
    const text =
      typeof chunk === 'string'
        ? chunk
        : chunk instanceof Uint8Array
          ? Buffer.from(chunk).toString((encoding as BufferEncoding | undefined) ?? 'utf8')
          : '';
    const lines = (this.partial[name] + text).split('\n');
    const partial = lines.pop()!;
    // A progress bar redraws its line after `\r`: only the last drawing is kept (a `\r` at the
    // very end may be the first half of a `\r\n`).
    this.partial[name] = partial.slice(partial.lastIndexOf('\r', partial.length - 2) + 1);
    for (const line of lines) this.hand(name, shown(line));
  }

  private hand(name: OutputStream, line: string): void {
    this.handing = true;
    try {
      this.onLine(name, this.mask(line), Date.now());
    } finally {
      this.handing = false;
    }
  }
}

/** What a terminal shows of a line: the text after its last carriage return. */
function shown(line: string): string {
  const body = line.endsWith('\r') ? line.slice(0, -1) : line;
  return body.slice(body.lastIndexOf('\r') + 1);
}

/**
 * A mask that replaces each of `secrets` (the API key) by `***`; a closure, so that no dump of
 * the objects holding it (`util.inspect` of a logger) shows them.
 */
export function maskingOf(secrets: readonly string[]): (line: string) => string {
  const kept = secrets.filter((secret) => secret !== '');
  return (line) => kept.reduce((masked, secret) => masked.replaceAll(secret, MASK), line);
}
