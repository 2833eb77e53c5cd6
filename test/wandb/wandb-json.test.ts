import { describe, expect, it } from 'vitest';
import { parseWandbJson, wandbJson } from '../../src/wandb/wandb-json.js';

describe('wandbJson', () => {
  it('writes NaN, the infinities and -0 as Python does, alone and nested', () => {
    expect([Number.NaN, Infinity, -Infinity, -0, 0, 1.5].map(wandbJson)).toEqual([
      'NaN',
      'Infinity',
      '-Infinity',
      '-0.0',
      '0',
      '1.5',
    ]);
    expect(wandbJson({ min: -0, last: Number.NaN, values: [-0, 0, '-0.0'] })).toBe(
      '{"min":-0.0,"last":NaN,"values":[-0.0,0,"-0.0"]}',
    );
    expect(wandbJson(undefined)).toBe('null');
  });

  it('reads back what it writes, -0 included', () => {
    const value = { min: -0, last: Number.NaN, values: [-0, 0, '-0.0', -Infinity] };
    const read = parseWandbJson(wandbJson(value)) as typeof value;
    expect(read).toEqual(value);
    expect(Object.is(read.min, -0)).toBe(true);
    expect(Object.is(read.values[0], -0)).toBe(true);
    expect(Object.is(parseWandbJson(wandbJson(-0)), -0)).toBe(true);
  });
});
