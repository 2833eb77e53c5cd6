/**
 * The benchmark's results, pure: figures with their baselines and targets, the verdict on each
 * target, and the table printed (plain text for a terminal, markdown for BENCHMARKS.md).
 */

/** How a value is shown. */
export type Unit = 'ns' | 'per-second' | 'bytes' | 'percent';

/**
 * A target on a figure. `ratio` is the figure divided by its baseline (a cost ratio for times, a
 * speed-up for rates); `value` is the figure itself.
 */
export interface Target {
  readonly on: 'ratio' | 'value';
  readonly op: '<=' | '>=';
  readonly limit: number;
}

export interface Baseline {
  readonly label: string;
  readonly value: number;
}

export interface Figure {
  /** 1 call path, 2 TensorBoard, 3 W&B, 4 memory, 5 training loop, 6 import cost. */
  readonly section: number;
  /** A stable key for the JSON results. */
  readonly id: string;
  readonly label: string;
  /** The median over the repeated runs. */
  readonly value: number;
  readonly unit: Unit;
  /** Every run's value (the median is taken over them). */
  readonly runs?: readonly number[];
  readonly baseline?: Baseline;
  readonly target?: Target;
}

export type Verdict = 'met' | 'missed' | '';

/** The figure divided by its baseline; undefined without one. */
export function ratioOf(figure: Figure): number | undefined {
  return figure.baseline ? figure.value / figure.baseline.value : undefined;
}

export function verdictOf(figure: Figure): Verdict {
  const { target } = figure;
  if (!target) return '';
  const measured = target.on === 'ratio' ? ratioOf(figure) : figure.value;
  if (measured === undefined || Number.isNaN(measured)) return 'missed';
  return (target.op === '<=' ? measured <= target.limit : measured >= target.limit)
    ? 'met'
    : 'missed';
}

/** `1.23 µs`, `4.56 M/s`, `12.3 MiB`, `0.42 %`: three significant digits. */
export function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case 'ns':
      return scaled(value, [
        [1e9, 's'],
        [1e6, 'ms'],
        [1e3, 'µs'],
        [1, 'ns'],
      ]);
    case 'per-second':
      return `${scaled(value, [
        [1e9, 'G'],
        [1e6, 'M'],
        [1e3, 'k'],
        [1, ''],
      ])}/s`;
    case 'bytes':
      return scaled(value, [
        [2 ** 30, 'GiB'],
        [2 ** 20, 'MiB'],
        [2 ** 10, 'KiB'],
        [1, 'B'],
      ]);
    case 'percent':
      return `${significant(value)} %`;
  }
}

export function formatRatio(ratio: number): string {
  return `${significant(ratio)}x`;
}

export function formatTarget(target: Target, unit: Unit): string {
  const limit = target.on === 'ratio' ? formatRatio(target.limit) : formatValue(target.limit, unit);
  return `${target.op === '<=' ? '≤' : '≥'} ${limit}`;
}

const COLUMNS = ['#', 'figure', 'value', 'baseline', 'ratio', 'target', 'verdict'] as const;

/** One table row of cells, in `COLUMNS` order. */
export function cellsOf(figure: Figure): string[] {
  const ratio = ratioOf(figure);
  return [
    String(figure.section),
    figure.label,
    formatValue(figure.value, figure.unit),
    figure.baseline
      ? `${figure.baseline.label}: ${formatValue(figure.baseline.value, figure.unit)}`
      : '',
    ratio === undefined ? '' : formatRatio(ratio),
    figure.target ? formatTarget(figure.target, figure.unit) : '',
    verdictOf(figure),
  ];
}

/** The figures as aligned plain-text columns. */
export function textTable(figures: readonly Figure[]): string {
  const rows = [[...COLUMNS] as string[], ...figures.map(cellsOf)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => [...row[i]!].length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => cell + ' '.repeat(widths[i]! - [...cell].length))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)]
    .join('\n')
    .concat('\n');
}

/** The figures as a markdown table. */
export function markdownTable(figures: readonly Figure[]): string {
  const escapeBars = (cell: string) => cell.replaceAll('|', '\\|');
  const line = (row: readonly string[]) => `| ${row.map(escapeBars).join(' | ')} |`;
  return [
    line(COLUMNS),
    line(COLUMNS.map(() => '---')),
    ...figures.map((figure) => line(cellsOf(figure))),
  ]
    .join('\n')
    .concat('\n');
}

function scaled(value: number, units: readonly (readonly [number, string])[]): string {
  const magnitude = Math.abs(value);
  const [factor, name] = units.find(([factor]) => magnitude >= factor) ?? units[units.length - 1]!;
  return `${significant(value / factor)} ${name}`.trimEnd();
}

/** Three significant digits, without an exponent. */
function significant(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return value.toFixed(Math.min(digits, 6));
}
