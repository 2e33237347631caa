import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { createPino, JsonLogger } from './json-logger';

function capture(): { logger: JsonLogger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const pino = createPino('info', destination);
  return {
    logger: new JsonLogger(pino),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('JsonLogger', () => {
  it('writes a { msg, ...fields } message as fields beside its text, with the context', () => {
    const { logger, lines } = capture();
    logger.warn({ msg: 'database unavailable', request_id: 'req-1' }, 'OAuthErrorFilter');
    const [line] = lines();
    assert.equal(line?.msg, 'database unavailable');
    assert.equal(line?.request_id, 'req-1');
    assert.equal(line?.context, 'OAuthErrorFilter');
    assert.equal(line?.level, 'warn');
  });

  it('keeps a plain message as it is, and redacts secret fields of a record', () => {
    const { logger, lines } = capture();
    logger.log('listening', 'tokenvakt');
    logger.error(
      { msg: 'failed', token: 'tva_secret', rawToken: 'tva_other', request_id: 'req-2' },
      'X',
    );
    const [plain, record] = lines();
    assert.deepEqual(
      [plain?.msg, plain?.context, plain?.request_id],
      ['listening', 'tokenvakt', undefined],
    );
    assert.equal(record?.token, '[redacted]');
    assert.equal(record?.rawToken, '[redacted]');
    assert.equal(record?.request_id, 'req-2');
  });
});
