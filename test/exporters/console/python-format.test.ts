import { describe, expect, it } from 'vitest';
import { compileFormat, strftime } from '../../../src/exporters/console/python-format.js';

// 2026-03-04 05:06:07.089 local time
const at = new Date(2026, 2, 4, 5, 6, 7, 89).getTime();
const record = { name: 'jepa', levelname: 'INFO', levelno: 20, message: 'hello', timeMs: at };

describe('Python logging format strings', () => {
  it("renders the seed's format like Python's logging", () => {
    expect(compileFormat('%(asctime)s - %(levelname)s - %(message)s')(record)).toBe(
      '2026-03-04 05:06:07,089 - INFO - hello',
    );
  });

  it('honours width, alignment, precision and %%', () => {
    const format = compileFormat('[%(levelname)-8s] %(levelno)03d %(name).2s %(created).1f 100%%');
    expect(format(record)).toBe(`[INFO    ] 020 je ${(at / 1000).toFixed(1)} 100%`);
  });

  it('uses datefmt for asctime', () => {
    expect(compileFormat('%(asctime)s', '%d/%m/%y %H:%M')(record)).toBe('04/03/26 05:06');
  });

  it('names an unknown field and lists the known ones', () => {
    expect(() => compileFormat('%(lineno)d %(message)s')).toThrow(
      /unknown field '%\(lineno\)d'.*known fields: name, levelname/,
    );
  });

  it('leaves text without tokens as it is', () => {
    expect(compileFormat('plain')(record)).toBe('plain');
  });
});

describe('strftime', () => {
  it('formats the codes Python datefmt uses', () => {
    const date = new Date(2026, 0, 9, 15, 4, 5);
    expect(strftime('%Y-%m-%d %H:%M:%S %I%p %a %b %j %%', date)).toBe(
      '2026-01-09 15:04:05 03PM Fri Jan 009 %',
    );
  });
});
