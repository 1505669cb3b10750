import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { discover } from '../src/discover/index.js';

test('environment reads: a conversion around the read keeps its default; without one the read is required but not enforced', async () => {
  const root = mkdtempSync(join(tmpdir(), 'shipready-env-reads-'));
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  try {
    put('package.json', JSON.stringify({ name: 'api', main: 'server.js', dependencies: { express: '^4.21.0' } }));
    put('server.js', [
      "const express = require('express');",
      'const delay = Number(process.env.CLOSE_GRACE_DELAY) || 20000;',
      "const port = parseInt(process.env.PORT ?? '3000', 10);",
      'const retries = Number(process.env.RETRIES);',
      'const bucket = process.env.S3_BUCKET_NAME;',
      "if (!process.env.JWT_SECRET) throw new Error('JWT_SECRET is required');",
      'const app = express();',
      "app.get('/health', (_req, res) => res.send('ok'));",
      "const server = app.listen(port, '0.0.0.0');",
      "process.on('SIGTERM', () => server.close(() => process.exit(0)));",
      'module.exports = { delay, retries, bucket };',
      '',
    ].join('\n'));
    const { model } = await discover(root);
    const service = model.services.find((s) => s.name === 'api');
    assert.ok(service, 'the service is found');
    const read = (name: string) => service.env.find((e) => e.name === name);
    assert.equal(read('CLOSE_GRACE_DELAY')?.required, false, 'Number(x) || default has a default');
    assert.equal(read('CLOSE_GRACE_DELAY')?.defaultValue, '20000');
    assert.equal(read('PORT')?.required, false);
    assert.equal(read('RETRIES')?.required, true, 'a conversion without a default is still required');
    assert.equal(read('S3_BUCKET_NAME')?.required, true);
    assert.equal(read('S3_BUCKET_NAME')?.enforced, false, 'a plain read does not stop the service');
    assert.equal(read('JWT_SECRET')?.enforced, true, 'if (!process.env.X) throw stops the service');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
