import { Writable } from 'node:stream';

/** A writable that keeps what is written, optionally pretending to be a terminal. */
export class CaptureStream extends Writable {
  private readonly chunks: string[] = [];
  isTTY: boolean;
  columns = 100;

  constructor(options: { isTTY?: boolean } = {}) {
    super();
    this.isTTY = options.isTTY ?? false;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString());
    callback();
  }

  get text(): string {
    return this.chunks.join('');
  }

  get lines(): string[] {
    return this.text.split('\n').filter((line) => line.length > 0);
  }
}
