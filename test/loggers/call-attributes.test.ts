import { describe, expect, it } from 'vitest';
import {
  argumentAttributes,
  parameterNames,
  REDACTED,
  summarize,
} from '../../src/loggers/call-attributes.js';

describe('parameterNames', () => {
  const f = () => 0;
  // Real functions: what the compiler keeps of each way a function is written.
  it.each([
    [
      'a function with a default',
      function step(batch: number, lr = 0.1) {
        return batch * lr;
      },
      ['batch', 'lr'],
    ],
    [
      'destructuring and rest',
      async function step(apiKey: string, { a }: { a: number }, [c]: number[], ...rest: number[]) {
        return [apiKey, a, c, rest];
      },
      ['apiKey', undefined, undefined, '...rest'],
    ],
    ['an arrow', (x: number, y: number) => x + y, ['x', 'y']],
    ['a one-parameter arrow', (batch: number) => batch, ['batch']],
    ['an async arrow', async (batch: number) => batch, ['batch']],
    [
      'defaults with calls and commas',
      {
        method(a: number, b = Math.max(1, 2), c = 'x,)') {
          return [a, b, c];
        },
      }.method,
      ['a', 'b', 'c'],
    ],
    [
      'a method',
      new (class {
        run(input: number) {
          return input + f();
        }
      })().run,
      ['input'],
    ],
    ['a native function', Array.prototype.push, []],
  ])('%s', (_label, fn, expected) => {
    const names = parameterNames(fn as (...args: never[]) => unknown).map((p) =>
      p.rest ? `...${p.name}` : p.name,
    );
    expect(names).toEqual(expected);
  });

  it('reads parameter lists with comments and strings in them', () => {
    const fn = new Function('a /* the, batch */', '// b,\n c = ")"', 'return [a, c];');
    expect(parameterNames(fn as () => unknown).map((p) => p.name)).toEqual(['a', 'c']);
  });
});

describe('summarize', () => {
  it('keeps numbers and booleans, and gives everything else as bounded text', () => {
    expect(summarize(3)).toBe(3);
    expect(summarize(false)).toBe(false);
    expect(summarize(undefined)).toBe('undefined');
    expect(summarize(null)).toBe('null');
    expect(summarize(10n)).toBe('10n');
    expect(summarize(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(summarize(new Map([[1, 2]]))).toBe('Map(1)');
    expect(summarize(new RangeError('bad'))).toBe('RangeError: bad');
    expect(summarize({ shape: [2, 3], dtype: 'float32', data: [1] })).toBe(
      'Tensor(float32, [2, 3])',
    );
    expect(summarize(function named() {})).toBe('[Function named]');
    expect(summarize({ a: { b: { c: { d: 1 } } } })).toBe('{a: {b: {…}}}');
    class Batch {
      size = 2;
    }
    expect(summarize(new Batch())).toBe('Batch {size: 2}');
  });

  it('cuts text at the limit and lists only the first entries of big containers', () => {
    expect(summarize('y'.repeat(1000), 20)).toBe(`${'y'.repeat(19)}…`);
    const big = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    expect(summarize(big)).toBe(
      '{k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, … 92 more}',
    );
  });

  it('redacts secret keys at any depth and values that look like a W&B key', () => {
    const key = '0123456789abcdef0123456789abcdef01234567';
    expect(summarize(key)).toBe(REDACTED);
    expect(summarize({ auth: { password: 'hunter2', user: 'ada' }, note: key })).toBe(
      '{auth: {password: [REDACTED], user: "ada"}, note: "[REDACTED]"}',
    );
    expect(summarize([{ Authorization: 'Bearer x' }])).toBe('[{Authorization: [REDACTED]}]');
  });

  it('does not run getters, and survives values that cannot be read', () => {
    let reads = 0;
    const object = {
      get expensive() {
        reads++;
        return 1;
      },
    };
    expect(summarize(object)).toBe('{expensive: [Getter]}');
    expect(reads).toBe(0);
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('no');
        },
      },
    );
    expect(summarize(hostile)).toBe('[unreadable]');
  });
});

describe('argumentAttributes', () => {
  it('names arguments by parameter, by position past the named ones, and counts them all', () => {
    const names = [
      { name: 'batch', rest: false },
      { name: undefined, rest: false },
    ];
    expect(argumentAttributes(names, [[1], { a: 1 }, 'extra'])).toEqual({
      'jepa.call.arg_count': 3,
      'jepa.call.arg.batch': '[1]',
      'jepa.call.arg.1': '{a: 1}',
      'jepa.call.arg.2': 'extra',
    });
  });

  it('records at most 16 arguments', () => {
    const attributes = argumentAttributes(
      [],
      Array.from({ length: 40 }, (_, i) => i),
    );
    expect(attributes['jepa.call.arg_count']).toBe(40);
    expect(Object.keys(attributes)).toHaveLength(17);
  });
});
