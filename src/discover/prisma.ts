import { posix } from 'node:path';
import type { DeploymentModel } from '../model/index.js';
import type { Located, Loc } from '../model/location.js';
import type { PrismaGenerator, PrismaSchema } from '../model/prisma.js';

/**
 * Prisma schemas (`*.prisma`): the generator blocks, whose `binaryTargets` decide which query
 * engines `prisma generate` ships and `output` where the client goes. The Docker rules compare them
 * with the image that runs the client.
 */
export function discoverPrisma(model: DeploymentModel): void {
  const paths = model.files.paths.filter((p) => p.endsWith('.prisma'));
  if (paths.length === 0) return;
  const packageDirs = new Set(model.packages.map((p) => p.dir));
  const projectDirs = new Set(model.files.named('project.json').map((p) => (posix.dirname(p) === '.' ? '' : posix.dirname(p))));
  for (const path of paths) {
    const text = model.files.read(path);
    if (text === undefined) continue;
    const schema = parsePrismaSchema(text, path);
    if (schema.generators.length === 0) continue;
    for (let dir = posix.dirname(path) === '.' ? '' : posix.dirname(path); ; dir = posix.dirname(dir) === '.' ? '' : posix.dirname(dir)) {
      if (schema.projectDir === undefined && (packageDirs.has(dir) || projectDirs.has(dir))) schema.projectDir = dir;
      if (packageDirs.has(dir)) {
        schema.packageDir = dir;
        break;
      }
      if (dir === '') break;
    }
    model.prismaSchemas.push(schema);
  }
}

type Token = { kind: 'word' | 'string' | 'punct'; text: string; line: number };

/** Prisma schema language tokens: words, strings, punctuation; `//` comments dropped. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') continue;
    if (c === '/' && text[i + 1] === '/') {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') {
        if (text[j] === '\\' && j + 1 < text.length) {
          value += text[j + 1];
          j += 2;
          continue;
        }
        value += text[j++];
      }
      tokens.push({ kind: 'string', text: value, line });
      i = j;
      continue;
    }
    if ('{}[]()=,@'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, line });
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s{}[\]()=,@"]/.test(text[j])) j++;
    tokens.push({ kind: 'word', text: text.slice(i, j), line });
    i = j - 1;
  }
  return tokens;
}

export function parsePrismaSchema(text: string, path: string): PrismaSchema {
  const tokens = tokenize(text);
  const schema: PrismaSchema = { path, generators: [] };
  const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
  const loc = (t: Token): Loc => ({ file: path, line: t.line });
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i];
    // Top level: `<keyword> <name> {` … matching `}`.
    if (t.kind === 'word' && tokens[i + 1]?.kind === 'word' && tokens[i + 2]?.text === '{') {
      const keyword = t.text;
      const name = tokens[i + 1].text;
      let depth = 1;
      let j = i + 3;
      const body: Token[] = [];
      for (; j < tokens.length && depth > 0; j++) {
        if (tokens[j].text === '{' && tokens[j].kind === 'punct') depth++;
        else if (tokens[j].text === '}' && tokens[j].kind === 'punct') depth--;
        if (depth > 0) body.push(tokens[j]);
      }
      if (keyword === 'generator') schema.generators.push(readGenerator(name, body, loc(t), dir, loc));
      i = j;
      continue;
    }
    i++;
  }
  return schema;
}

function readGenerator(name: string, body: Token[], at: Loc, dir: string, loc: (t: Token) => Loc): PrismaGenerator {
  const generator: PrismaGenerator = { name, previewFeatures: [], loc: at };
  for (let i = 0; i < body.length; i++) {
    const key = body[i];
    if (key.kind !== 'word' || body[i + 1]?.text !== '=') continue;
    const value = body[i + 2];
    if (!value) break;
    if (value.text === '[' && value.kind === 'punct') {
      const items: Located<string>[] = [];
      let onlyStrings = true;
      let j = i + 3;
      for (; j < body.length && !(body[j].kind === 'punct' && body[j].text === ']'); j++) {
        if (body[j].kind === 'string') items.push({ value: body[j].text, loc: loc(body[j]) });
        else if (body[j].text !== ',') onlyStrings = false;
      }
      if (key.text === 'binaryTargets') {
        generator.binaryTargetsLoc = loc(key);
        if (onlyStrings) generator.binaryTargets = items;
        else generator.binaryTargetsUnknown = true;
      } else if (key.text === 'previewFeatures') generator.previewFeatures = items.map((x) => x.value);
      i = j;
      continue;
    }
    if (value.kind === 'string') {
      const located = { value: value.text, loc: loc(key) };
      if (key.text === 'provider') generator.provider = located;
      else if (key.text === 'output') generator.output = { value: normalize(posix.join(dir || '.', value.text)), loc: loc(key) };
      else if (key.text === 'engineType') generator.engineType = located;
      else if (key.text === 'binaryTargets') {
        generator.binaryTargetsLoc = loc(key);
        generator.binaryTargets = [located];
      }
      i += 2;
      continue;
    }
    // env("PRISMA_BINARY_TARGETS") and other expressions: the value is decided elsewhere.
    if (key.text === 'binaryTargets') {
      generator.binaryTargetsLoc = loc(key);
      generator.binaryTargetsUnknown = true;
    }
    if (key.text === 'provider' && value.kind === 'word') generator.provider = { value: '(expression)', loc: loc(key) };
    i += 2;
  }
  return generator;
}

function normalize(path: string): string {
  const p = posix.normalize(path).replace(/\/$/, '');
  return p === '.' ? '' : p;
}
