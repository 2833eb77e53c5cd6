import { ROOT_CONTEXT } from '@opentelemetry/api';
import * as core from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { ExportResultCode, suppressTracing } from '../src/otel-sdk.js';

describe('what otel-sdk.ts spells out instead of loading @opentelemetry/core', () => {
  it('has the export result codes of core', () => {
    expect(ExportResultCode).toEqual({
      SUCCESS: core.ExportResultCode.SUCCESS,
      FAILED: core.ExportResultCode.FAILED,
    });
  });

  it("suppresses tracing as core's isTracingSuppressed sees it, and leaves the context given alone", () => {
    expect(core.isTracingSuppressed(suppressTracing(ROOT_CONTEXT))).toBe(true);
    expect(core.isTracingSuppressed(ROOT_CONTEXT)).toBe(false);
  });
});
