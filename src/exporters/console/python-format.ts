/**
 * Python `logging` format strings (`'%(asctime)s - %(levelname)s - %(message)s'`), compiled once
 * into a function, so the Python API's console configuration works unchanged.
 */

/** The fields of a Python `LogRecord` this formatter can fill. */
export interface FormatRecord {
  readonly name: string;
  readonly levelname: string;
  readonly levelno: number;
  readonly message: string;
  /** Unix time in milliseconds. */
  readonly timeMs: number;
}

const START_MS = Date.now();
const FIELDS = [
  'name',
  'levelname',
  'levelno',
  'message',
  'asctime',
  'created',
  'msecs',
  'relativeCreated',
  'process',
  'processName',
  'thread',
  'threadName',
] as const;
type Field = (typeof FIELDS)[number];

const TOKEN = /%\((\w+)\)([-+ 0#]*)(\d*)(?:\.(\d+))?([sdifFeEgGr])|%%/g;
export const DEFAULT_DATE_FORMAT = '%Y-%m-%d %H:%M:%S';

/** Compiles `format`; throws an error naming the unknown field, with the fields that exist. */
export function compileFormat(
  format: string,
  dateFormat?: string,
): (record: FormatRecord) => string {
  const parts: ((record: FormatRecord) => string)[] = [];
  let last = 0;
  for (const match of format.matchAll(TOKEN)) {
    const literal = format.slice(last, match.index);
    if (literal) parts.push(() => literal);
    last = match.index + match[0].length;
    if (match[0] === '%%') {
      parts.push(() => '%');
      continue;
    }
    const [, field, flags = '', width = '', precision, type = 's'] = match;
    if (!(FIELDS as readonly string[]).includes(field!)) {
      throw new Error(
        `console format: unknown field '%(${field})${type}' in '${format}'; known fields: ${FIELDS.join(', ')}`,
      );
    }
    const read = reader(field as Field, dateFormat);
    parts.push((record) =>
      pad(convert(read(record), type, flags, precision), flags, Number(width || 0)),
    );
  }
  const tail = format.slice(last);
  if (tail) parts.push(() => tail);
  return (record) => parts.map((part) => part(record)).join('');
}

function reader(
  field: Field,
  dateFormat: string | undefined,
): (r: FormatRecord) => string | number {
  switch (field) {
    case 'asctime': {
      // Lines come many to a second: the date is formatted once per second (or per millisecond
      // when the format shows milliseconds).
      const format = dateFormat ?? DEFAULT_DATE_FORMAT;
      const byMillisecond = /%f/.test(format);
      let lastKey = Number.NaN;
      let lastText = '';
      return (r) => {
        const key = byMillisecond ? Math.floor(r.timeMs) : Math.floor(r.timeMs / 1000);
        if (key !== lastKey) {
          lastKey = key;
          lastText = strftime(format, new Date(r.timeMs));
        }
        return dateFormat
          ? lastText
          : `${lastText},${String(Math.floor(r.timeMs % 1000)).padStart(3, '0')}`;
      };
    }
    case 'created':
      return (r) => r.timeMs / 1000;
    case 'msecs':
      return (r) => Math.floor(r.timeMs % 1000);
    case 'relativeCreated':
      return (r) => r.timeMs - START_MS;
    case 'process':
      return () => process.pid;
    case 'processName':
      return () => 'MainProcess';
    case 'thread':
      return () => 0;
    case 'threadName':
      return () => 'MainThread';
    default:
      return (r) => r[field];
  }
}

function convert(
  value: string | number,
  type: string,
  flags: string,
  precision: string | undefined,
): string {
  const digits = precision === undefined ? undefined : Number(precision);
  const sign = (n: number, s: string) =>
    n >= 0 && flags.includes('+') ? `+${s}` : n >= 0 && flags.includes(' ') ? ` ${s}` : s;
  switch (type) {
    case 'd':
    case 'i':
      return sign(Number(value), String(Math.trunc(Number(value))));
    case 'f':
    case 'F':
      return sign(Number(value), Number(value).toFixed(digits ?? 6));
    case 'e':
    case 'E': {
      const text = Number(value)
        .toExponential(digits ?? 6)
        .replace(/e([+-])(\d)$/, 'e$10$2');
      return sign(Number(value), type === 'E' ? text.toUpperCase() : text);
    }
    case 'g':
    case 'G':
      return sign(Number(value), String(Number(Number(value).toPrecision(digits || 6))));
    default: {
      const text = String(value);
      return digits === undefined ? text : text.slice(0, digits);
    }
  }
}

function pad(text: string, flags: string, width: number): string {
  if (text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (flags.includes('0') && /^[+-]?[\d.]/.test(text)) {
    const signed = /^[+-]/.test(text);
    return (
      (signed ? text[0] : '') + text.slice(signed ? 1 : 0).padStart(width - (signed ? 1 : 0), '0')
    );
  }
  return text.padStart(width);
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** The subset of C `strftime` that Python's `datefmt` uses, in local time. */
export function strftime(format: string, date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return format.replace(/%([a-zA-Z%])/g, (token, code: string) => {
    switch (code) {
      case 'Y':
        return String(date.getFullYear());
      case 'y':
        return two(date.getFullYear() % 100);
      case 'm':
        return two(date.getMonth() + 1);
      case 'd':
        return two(date.getDate());
      case 'H':
        return two(date.getHours());
      case 'I':
        return two(date.getHours() % 12 || 12);
      case 'M':
        return two(date.getMinutes());
      case 'S':
        return two(date.getSeconds());
      case 'f':
        return String(date.getMilliseconds() * 1000).padStart(6, '0');
      case 'p':
        return date.getHours() < 12 ? 'AM' : 'PM';
      case 'a':
        return DAYS[date.getDay()]!.slice(0, 3);
      case 'A':
        return DAYS[date.getDay()]!;
      case 'b':
        return MONTHS[date.getMonth()]!.slice(0, 3);
      case 'B':
        return MONTHS[date.getMonth()]!;
      case 'j': {
        const start = new Date(date.getFullYear(), 0, 1);
        return String(Math.floor((date.getTime() - start.getTime()) / 86_400_000) + 1).padStart(
          3,
          '0',
        );
      }
      case 'z': {
        const offset = -date.getTimezoneOffset();
        const abs = Math.abs(offset);
        return `${offset >= 0 ? '+' : '-'}${two(Math.floor(abs / 60))}${two(abs % 60)}`;
      }
      case '%':
        return '%';
      default:
        return token;
    }
  });
}
