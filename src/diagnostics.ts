/**
 * The library's own voice: warnings about bad input, failed exports and the like. It mirrors the
 * part of Python's `logging.Logger` the Python API uses (`self.logger.warning(...)`), so custom
 * loggers ported from Python read the same.
 */
import { isLevel, LEVELS, type Level } from './levels.js';

export interface DiagnosticLogger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

export type DiagnosticLevel = Exclude<Level, 'CRITICAL'>;

/**
 * Writes `jepa-loggers WARNING: ...` lines to stderr for messages at or above `level` (by default
 * `JEPA_LOGGERS_LOG_LEVEL`, else WARNING). Writes are synchronous so nothing is lost on a crash.
 */
export function stderrDiagnostics(
  level: DiagnosticLevel = parseLevel(process.env.JEPA_LOGGERS_LOG_LEVEL) ?? 'WARNING',
): DiagnosticLogger {
  const threshold = LEVELS[level];
  const write = (at: DiagnosticLevel) =>
    LEVELS[at] < threshold
      ? () => {}
      : (message: string) => process.stderr.write(`jepa-loggers ${at}: ${message}\n`);
  return {
    debug: write('DEBUG'),
    info: write('INFO'),
    warning: write('WARNING'),
    error: write('ERROR'),
  };
}

/** Keeps every message; for tests and for callers that show diagnostics their own way. */
export class CollectingDiagnostics implements DiagnosticLogger {
  readonly messages: { level: DiagnosticLevel; message: string }[] = [];
  debug(message: string): void {
    this.messages.push({ level: 'DEBUG', message });
  }
  info(message: string): void {
    this.messages.push({ level: 'INFO', message });
  }
  warning(message: string): void {
    this.messages.push({ level: 'WARNING', message });
  }
  error(message: string): void {
    this.messages.push({ level: 'ERROR', message });
  }
  /** The messages at `level`, for assertions. */
  at(level: DiagnosticLevel): string[] {
    return this.messages.filter((m) => m.level === level).map((m) => m.message);
  }
}

/**
 * Warns once per distinct `key`, and about at most `perKind` keys of one kind (the part of the key
 * before its first `:`): a bad value logged every step, or a new bad key in every row, must
 * neither flood the output nor grow memory, but the first ones must be seen. What it holds back
 * is counted: one line per `intervalMs` at most while it goes on, and `summary()` (at the end of
 * a run) tells the rest.
 */
export class OnceWarner {
  private readonly seen = new Set<string>();
  private readonly shownByKind = new Map<string, number>();
  private readonly heldByKind = new Map<string, number>();
  private lastCount = Date.now();

  constructor(
    private readonly diagnostics: DiagnosticLogger,
    private readonly perKind = 5,
    private readonly intervalMs = 60_000,
  ) {}

  warn(key: string, message: string): void {
    if (this.seen.has(key)) return;
    const colon = key.indexOf(':');
    const kind = colon < 0 ? key : key.slice(0, colon);
    const shown = this.shownByKind.get(kind) ?? 0;
    if (shown >= this.perKind) {
      // Not remembered: memory stays bounded, and a held-back key is counted each time.
      this.heldByKind.set(kind, (this.heldByKind.get(kind) ?? 0) + 1);
      if (Date.now() - this.lastCount >= this.intervalMs) this.summary();
      return;
    }
    this.seen.add(key);
    this.shownByKind.set(kind, shown + 1);
    this.diagnostics.warning(
      shown + 1 === this.perKind
        ? `${message} (more warnings like this are counted, not shown)`
        : message,
    );
  }

  /** One line with the warnings held back since the last such line, if any. */
  summary(): void {
    this.lastCount = Date.now();
    if (this.heldByKind.size === 0) return;
    const held = [...this.heldByKind].map(([kind, count]) => `${count} of kind '${kind}'`);
    this.heldByKind.clear();
    this.diagnostics.warning(`${held.join(', ')}: more warnings like those above, not shown`);
  }
}

function parseLevel(value: string | undefined): DiagnosticLevel | undefined {
  const upper = value?.toUpperCase();
  if (upper === 'WARN') return 'WARNING';
  return upper && isLevel(upper) && upper !== 'CRITICAL' ? upper : undefined;
}

/**
 * `text` with its control characters escaped (`\n` as `\\n`, ESC as `\\x1b`, as JavaScript writes
 * them), for a key, tag or text from the training code or a configuration shown in a line: it must
 * not start a line of its own (a forged `ERROR - run finished`), move the cursor or clear the
 * screen. C1 controls and the Unicode line separators count too; a terminal or a log viewer may
 * act on them.
 */
export function escapeControls(text: string): string {
  return text.replace(/\p{Cc}|[\u2028\u2029]/gu, (c) => {
    const named = NAMED_ESCAPES[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
