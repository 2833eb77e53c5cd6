/** The machine and software the figures were measured on, printed with every table. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Machine {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly node: string;
  readonly python: string;
  /** Versions of the Python peers measured against. */
  readonly peers: Readonly<Record<string, string>>;
  /** 1-minute load average when the run started: other work on the machine skews figures. */
  readonly loadAverage: number;
}

export function describeMachine(python: string): Machine {
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    python: run(python, ['--version']),
    peers: Object.fromEntries(
      ['tensorboardX', 'crc32c', 'wandb'].map((name) => [
        name,
        run(python, ['-c', `import importlib.metadata as m; print(m.version('${name}'))`]),
      ]),
    ),
    loadAverage: loadavg()[0]!,
  };
}

export function machineLines(machine: Machine): string[] {
  const peers = Object.entries(machine.peers)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `date: ${machine.date}`,
    `machine: ${machine.cpu}, ${machine.cores} cores, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB`,
    `software: Node ${machine.node}, ${machine.python} (${peers})`,
    `load average at start (1 min): ${machine.loadAverage.toFixed(2)}`,
  ];
}

function run(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unavailable';
  }
}
