import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { audit } from '../src/engine/audit.js';
import { toSarif } from '../src/report/sarif.js';
import { findRule } from '../src/rules/index.js';
import { EXAMPLE, SERVICES_REPO, exampleExists, tempRepo } from './golden/repos.js';

const SCHEMA_PATH = fileURLToPath(new URL('../schema/vendor/sarif-2.1.0.json', import.meta.url));

function sarifValidator() {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
  assert.equal(schema.title, 'Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema');
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  // The string formats the schema uses, checked for real rather than ignored.
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('uri-reference', (s: string) => !/\s/.test(s) && URL.canParse(s, 'file:///base/'));
  ajv.addFormat('date-time', (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s));
  ajv.addFormat('uuid', (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s));
  return ajv.compile(schema);
}

const validate = sarifValidator();

function assertValid(log: object) {
  const ok = validate(log);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
}

test('the schema rejects what GitHub would reject (the validator is not vacuous)', () => {
  assert.equal(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] }), false, 'a driver without a name');
  assert.equal(validate({ version: '2.0.0', runs: [] }), false, 'another SARIF version');
  assert.equal(
    validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'fatal' }] }] }),
    false,
    'an unknown level',
  );
  assert.equal(
    validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, suppressions: [{ kind: 'external', state: 'accepted' }] }] }] }),
    false,
    'a suppression with "state" (the standard names it "status")',
  );
});

test('SARIF of the example repository validates against the SARIF 2.1.0 schema', { skip: !exampleExists() && 'examples/shopfront is missing' }, async () => {
  const repo = tempRepo('shopfront', EXAMPLE);
  try {
    const result = await audit(repo.root);
    const log = toSarif(result) as { runs: { results: unknown[] }[] };
    assertValid(log);
    assert.equal(log.runs.length, 1);
    assert.equal(log.runs[0].results.length, result.findings.length + result.ignored.length);
  } finally {
    repo.cleanup();
  }
});

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region?: { startLine: number; startColumn?: number } } }[];
  relatedLocations?: { id: number; physicalLocation: { artifactLocation: { uri: string } }; message: { text: string } }[];
  partialFingerprints: Record<string, string>;
  baselineState?: string;
  suppressions?: { kind: string; status?: string; justification: string }[];
}

test('results carry level, exact region, fingerprint and suppressions; rules carry help and security-severity', async () => {
  const repo = tempRepo('fleet', {
    ...SERVICES_REPO,
    'services/legacy/Dockerfile': '# shipready-ignore docker/runs-as-root: the platform runs it with --user 1000\nFROM node:18\nWORKDIR /usr/src/app\n',
    'shipready.config.json': JSON.stringify({
      waivers: [{ ruleId: 'docker/runs-as-root', path: 'services/billing/**', reason: 'billing image is rebuilt next sprint', approvedBy: 'Platform lead' }],
    }),
  });
  try {
    const result = await audit(repo.root);
    const log = toSarif(result) as { runs: { tool: { driver: { rules: Record<string, unknown>[] } }; results: SarifResult[] }[] };
    assertValid(log);
    const run = log.runs[0];
    const rules = run.tool.driver.rules as { id: string; help?: { markdown: string }; defaultConfiguration: { level: string }; properties: Record<string, unknown> }[];
    for (const r of run.results) {
      assert.equal(rules[r.ruleIndex].id, r.ruleId);
      if (r.ruleId !== 'docker/runs-as-root' && r.ruleId !== 'repo/parse-error') continue;
      assert.ok(r.locations[0].physicalLocation.region!.startLine >= 1);
      assert.equal(r.locations[0].physicalLocation.artifactLocation.uriBaseId, '%SRCROOT%');
      assert.match(r.partialFingerprints['shipready/v1'], /^[0-9a-f]{16}/);
    }
    const api = run.results.find((r) => r.locations[0].physicalLocation.artifactLocation.uri === 'services/api/Dockerfile' && r.ruleId === 'docker/runs-as-root')!;
    const apiFinding = result.findings.find((f) => f.file === 'services/api/Dockerfile' && f.ruleId === 'docker/runs-as-root')!;
    assert.equal(api.ruleId, 'docker/runs-as-root');
    assert.equal(api.level, 'error');
    assert.equal(api.locations[0].physicalLocation.region!.startLine, 8, 'the FROM line of the final stage');
    assert.equal(api.partialFingerprints['shipready/v1'], apiFinding.fingerprint);
    assert.match(api.message.text, /never sets USER/);
    assert.match(api.message.text, /Fix: /);

    const waived = run.results.find((r) => r.locations[0].physicalLocation.artifactLocation.uri === 'services/billing/Dockerfile' && r.ruleId === 'docker/runs-as-root')!;
    assert.deepEqual(waived.suppressions, [{ kind: 'external', status: 'accepted', justification: 'billing image is rebuilt next sprint (approved by Platform lead)' }]);
    const ignored = run.results.find((r) => r.locations[0].physicalLocation.artifactLocation.uri === 'services/legacy/Dockerfile' && r.ruleId === 'docker/runs-as-root')!;
    assert.equal(ignored.suppressions?.[0].kind, 'inSource');

    const descriptor = rules.find((r) => r.id === 'docker/runs-as-root')!;
    assert.equal(findRule('docker/runs-as-root')!.security, true);
    assert.equal(descriptor.properties['security-severity'], '8.0');
    assert.match(descriptor.help!.markdown, /## Why it breaks on ECS/);
    assert.equal(descriptor.defaultConfiguration.level, 'error');
    const parse = rules.find((r) => r.id === 'repo/parse-error')!;
    assert.equal(parse.properties['security-severity'], undefined, 'not a security rule');
  } finally {
    repo.cleanup();
  }
});

test('repository-level findings get a location; cross-file findings list related locations', async () => {
  const repo = tempRepo('fleet', SERVICES_REPO);
  try {
    const result = await audit(repo.root);
    // The rules in the catalog report real places; a repository-level finding and a cross-file
    // one are made here to check their placement.
    result.findings.push(
      { ...result.findings[0], ruleId: 'repo/parse-error', file: null, line: null, related: [], fingerprint: '0123456789abcdef' },
      {
        ...result.findings[0],
        ruleId: 'repo/parse-error',
        file: null,
        line: null,
        related: [{ file: 'services/api/Dockerfile', line: 3, column: 6, message: 'the other side' }],
        fingerprint: 'fedcba9876543210',
      },
    );
    const log = toSarif(result) as { runs: { results: SarifResult[] }[] };
    assertValid(log);
    const [plain, cross] = log.runs[0].results.slice(-2);
    assert.equal(plain.locations[0].physicalLocation.artifactLocation.uri, 'package.json');
    assert.match(plain.message.text, /repository-level/);
    assert.equal(cross.locations[0].physicalLocation.artifactLocation.uri, 'services/api/Dockerfile');
    assert.deepEqual(cross.relatedLocations?.[0], {
      id: 1,
      physicalLocation: { artifactLocation: { uri: 'services/api/Dockerfile', uriBaseId: '%SRCROOT%' }, region: { startLine: 3, startColumn: 6 } },
      message: { text: 'the other side' },
    });
  } finally {
    repo.cleanup();
  }
});

test('paths with spaces and non-ASCII characters become valid relative URIs', async () => {
  const repo = tempRepo('fleet', { 'my service/Dockerfile': 'FROM node:20\n', 'services/café/Dockerfile': 'FROM node:20\n' });
  try {
    const log = toSarif(await audit(repo.root)) as { runs: { results: SarifResult[] }[] };
    assertValid(log);
    const uris = log.runs[0].results.filter((r) => r.ruleId === 'docker/runs-as-root').map((r) => r.locations[0].physicalLocation.artifactLocation.uri).sort();
    assert.deepEqual(uris, ['my%20service/Dockerfile', 'services/caf%C3%A9/Dockerfile']);
  } finally {
    repo.cleanup();
  }
});
