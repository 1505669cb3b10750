import type { PackageManager } from './packages.js';

/**
 * Shell text as written in a Dockerfile RUN, a workflow `run:` or a package.json script, split
 * into simple commands. This is not a shell: it understands quotes, escapes, line continuations,
 * comments and the operators that separate commands (`&&`, `||`, `;`, `|`, `&`, newlines), which is
 * what the checks need to know which programs run with which arguments.
 */
export interface ShellCommand {
  argv: string[];
  /** 0-based line of the command's first word, relative to the start of the text. */
  lineOffset: number;
  /** The operator that joins this command to the next one, if any. */
  next?: '&&' | '||' | ';' | '|' | '&' | '\n';
}

export function splitShell(text: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let argv: string[] = [];
  let word = '';
  let inWord = false;
  let line = 0;
  let commandLine = 0;
  const endWord = () => {
    if (inWord) {
      if (argv.length === 0) commandLine = lineAtWordStart;
      argv.push(word);
    }
    word = '';
    inWord = false;
  };
  let lineAtWordStart = 0;
  const startWord = () => {
    if (!inWord) {
      inWord = true;
      lineAtWordStart = line;
    }
  };
  const endCommand = (op?: ShellCommand['next']) => {
    endWord();
    if (argv.length > 0) commands.push({ argv, lineOffset: commandLine, next: op });
    else if (op && commands.length > 0 && op !== '\n' && !commands[commands.length - 1].next) commands[commands.length - 1].next = op;
    argv = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && text[i + 1] === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === '\\' && text[i + 1] === '\r' && text[i + 2] === '\n') {
      line++;
      i += 2;
      continue;
    }
    if (c === '\\' && i + 1 < text.length) {
      startWord();
      word += text[i + 1];
      i++;
      continue;
    }
    if (c === "'") {
      startWord();
      const end = text.indexOf("'", i + 1);
      const stop = end < 0 ? text.length : end;
      const part = text.slice(i + 1, stop);
      line += countNewlines(part);
      word += part;
      i = stop;
      continue;
    }
    if (c === '"') {
      startWord();
      let j = i + 1;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) {
          if (text[j + 1] === '\n') line++;
          else word += text[j + 1];
          j += 2;
          continue;
        }
        if (text[j] === '\n') line++;
        word += text[j];
        j++;
      }
      i = j;
      continue;
    }
    if (c === '#' && !inWord) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
      continue;
    }
    if (c === '\n') {
      endCommand('\n');
      line++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
      continue;
    }
    if (c === '&' && text[i + 1] === '&') {
      endCommand('&&');
      i++;
      continue;
    }
    if (c === '|' && text[i + 1] === '|') {
      endCommand('||');
      i++;
      continue;
    }
    if (c === ';' || c === '|' || c === '&') {
      endCommand(c as ';' | '|' | '&');
      continue;
    }
    if ((c === '(' || c === ')' || c === '{' || c === '}') && !inWord) {
      endCommand(';');
      continue;
    }
    startWord();
    word += c;
  }
  endCommand();
  return commands;
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

/** Words of a single shell command line (quotes removed), ignoring operators. */
export function shellWords(text: string): string[] {
  return splitShell(text).flatMap((c) => c.argv);
}

/**
 * The program a command runs, skipping wrappers that only set up the environment
 * (`env A=b cmd`, `A=b cmd`, `sudo`, `exec`, `time`, `npx --yes`, `corepack`).
 */
export function effectiveArgv(argv: string[]): string[] {
  let i = 0;
  while (i < argv.length) {
    const w = argv[i];
    // `then npm ci`, `else yarn install`: the command after a shell keyword of an if/for/while.
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) || w === 'then' || w === 'else' || w === 'do' || w === '!') i++;
    else if (w === 'env' || w === 'sudo' || w === 'exec' || w === 'time' || w === 'nohup') {
      i++;
      while (i < argv.length && argv[i].startsWith('-')) i++;
    } else break;
  }
  return argv.slice(i);
}

export interface InstallCommand {
  manager: PackageManager;
  /** The full command, for messages. */
  text: string;
  /** Installs exactly what the lockfile says, failing when it is out of date. */
  frozen: boolean;
  /** `npm ci` / `pnpm install --frozen-lockfile` style vs plain `npm install`. */
  verb: string;
  /** Installs only production dependencies. */
  production: boolean;
  legacyPeerDeps: boolean;
  /** Packages named on the command line (`npm install express`): adding a package, not installing the lockfile. */
  addsPackages: boolean;
  /** Global install (`npm install -g pnpm`): a tool, not the project's dependencies. */
  global: boolean;
}

/**
 * Recognises a dependency install: npm ci/install, pnpm install/i, yarn (install), bun install.
 * Returns undefined for anything else.
 */
export function classifyInstall(rawArgv: string[]): InstallCommand | undefined {
  let argv = effectiveArgv(rawArgv);
  if (argv[0] === 'corepack' && ['pnpm', 'yarn', 'npm'].includes(argv[1])) argv = argv.slice(1);
  const [tool, ...rest] = argv;
  if (!tool) return undefined;
  const words = rest.filter((w) => !w.startsWith('-'));
  const flags = rest.filter((w) => w.startsWith('-'));
  const has = (...names: string[]) => flags.some((f) => names.includes(f.split('=')[0]));
  const text = argv.join(' ');
  const global = has('-g', '--global', '--location') || words[0] === 'global';
  if (tool === 'npm') {
    const verb = words[0];
    if (!verb || !['ci', 'install', 'i', 'clean-install', 'isntall', 'add'].includes(verb)) return undefined;
    const addsPackages = verb !== 'ci' && verb !== 'clean-install' && words.length > 1;
    const omitDev = flags.some((f) => f === '--production' || f === '--omit=dev' || f === '--only=production' || f === '--only=prod');
    return {
      manager: 'npm',
      text,
      verb,
      frozen: verb === 'ci' || verb === 'clean-install',
      production: omitDev || (has('--omit') && rest.includes('dev')),
      legacyPeerDeps: has('--legacy-peer-deps', '--force'),
      addsPackages,
      global,
    };
  }
  if (tool === 'pnpm') {
    const verb = words[0] ?? '';
    if (!['install', 'i', 'add'].includes(verb)) return undefined;
    return {
      manager: 'pnpm',
      text,
      verb,
      frozen: has('--frozen-lockfile') && !rest.includes('--frozen-lockfile=false'),
      production: has('--prod', '-P', '--production'),
      legacyPeerDeps: false,
      addsPackages: verb === 'add' || words.length > 1,
      global,
    };
  }
  if (tool === 'yarn') {
    const verb = words[0] ?? '';
    // `yarn` alone installs; `yarn install`; anything else (`yarn build`, `yarn workspace x …`) is not an install.
    if (verb !== '' && verb !== 'install' && verb !== 'add') return undefined;
    return {
      manager: 'yarn',
      text,
      verb: verb || 'install',
      frozen: has('--frozen-lockfile', '--immutable'),
      production: has('--production', '--prod'),
      legacyPeerDeps: false,
      addsPackages: verb === 'add',
      global,
    };
  }
  if (tool === 'bun') {
    const verb = words[0] ?? '';
    if (!['install', 'i', 'add'].includes(verb)) return undefined;
    return {
      manager: 'bun',
      text,
      verb,
      frozen: has('--frozen-lockfile'),
      production: has('--production', '-p'),
      legacyPeerDeps: false,
      addsPackages: verb === 'add' || words.length > 1,
      global,
    };
  }
  return undefined;
}

/** `npm run x`, `pnpm x`, `yarn x`, `npm start`, `npm test`: the package script a command runs. */
export function scriptInvoked(rawArgv: string[]): { manager: PackageManager; script: string; ifPresent: boolean } | undefined {
  const argv = effectiveArgv(rawArgv);
  const [tool, ...rest] = argv;
  if (tool !== 'npm' && tool !== 'pnpm' && tool !== 'yarn' && tool !== 'bun') return undefined;
  const ifPresent = rest.includes('--if-present');
  const words: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i];
    if (w === '--') break;
    if (w.startsWith('-')) {
      // Flags that take a value: the next word is not a script name.
      if (['--filter', '-F', '--prefix', '-C', '--dir', '-w', '--workspace', '--cwd'].includes(w)) i++;
      continue;
    }
    words.push(w);
  }
  if (words.length === 0) return undefined;
  const builtin = ['start', 'test', 't', 'stop', 'restart'];
  if (tool === 'npm') {
    if (words[0] === 'run' || words[0] === 'run-script') return words[1] ? { manager: 'npm', script: words[1], ifPresent } : undefined;
    if (builtin.includes(words[0])) return { manager: 'npm', script: words[0] === 't' ? 'test' : words[0], ifPresent };
    return undefined;
  }
  const nonScripts = new Set(['install', 'i', 'add', 'remove', 'ci', 'audit', 'exec', 'dlx', 'create', 'up', 'upgrade', 'why', 'list', 'ls', 'outdated', 'link', 'publish', 'pack', 'store', 'config', 'set', 'workspace', 'workspaces', 'import', 'prune', 'rebuild', 'deploy', 'fetch', 'x', 'init', 'info', 'cache', 'global', 'node', 'dedupe', 'patch', 'env', 'version', 'licenses', 'help', 'bin', 'root', 'recursive', '-r']);
  if (words[0] === 'run') return words[1] ? { manager: tool, script: words[1], ifPresent } : undefined;
  if (nonScripts.has(words[0])) return undefined;
  return { manager: tool, script: words[0], ifPresent };
}

/** Workspace names a command selects: `pnpm --filter x`, `yarn workspace x`, `npm -w x`, `turbo --filter=x`. */
export function workspaceSelectors(argv: string[]): string[] {
  const args = effectiveArgv(argv);
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i];
    let value: string | undefined;
    const eq = /^(--filter|-F|--workspace|-w|--scope)=(.+)$/.exec(w);
    if (eq) value = eq[2];
    else if (['--filter', '-F', '--workspace', '-w', '--scope'].includes(w)) value = args[++i];
    else if (args[0] === 'yarn' && w === 'workspace' && i === 1) value = args[++i];
    if (!value) continue;
    // pnpm selector syntax: "name...", "...name", "name^...", "{dir}", "./dir"
    names.push(value.replace(/^\.\.\.|\^?\.\.\.$/g, '').replace(/^\{(.*)\}$/, '$1'));
  }
  return names.filter(Boolean);
}

/**
 * The command a package runner executes: `npx tsx src/main.ts`, `pnpm exec tsc`, `yarn dlx x`,
 * `bunx prisma@5 generate`, `npm exec -- ts-node`, `node_modules/.bin/knex …` → the argv from the
 * tool on, with a version suffix (`tool@1.2`) and a `node_modules/.bin/` prefix dropped from the
 * program name. Other commands are returned as `effectiveArgv` gives them.
 */
export function toolArgv(rawArgv: string[]): string[] {
  let a = effectiveArgv(rawArgv);
  const program = a[0]?.split('/').pop();
  // Runner flags followed by a value (`npx --workspace @app/api prisma …`): the value is not the tool.
  const takesValue = (flag: string) => ['-p', '--package', '-w', '--workspace'].includes(flag);
  if (program === 'npx' || program === 'bunx') {
    a = a.slice(1);
    while (a[0]?.startsWith('-')) a = a.slice(takesValue(a[0]) ? 2 : 1);
  } else if ((program === 'pnpm' || program === 'yarn' || program === 'npm') && (a[1] === 'dlx' || a[1] === 'exec')) {
    a = a.slice(2);
    while (a[0]?.startsWith('-')) a = a.slice(program === 'npm' && takesValue(a[0]) ? 2 : 1);
  }
  if (a[0]) a = [a[0].replace(/(.)@[^/]*$/, '$1').replace(/^(.*\/)?node_modules\/\.bin\//, ''), ...a.slice(1)];
  return a;
}

export type MigrationTool = 'prisma' | 'knex' | 'drizzle-kit' | 'typeorm' | 'node-pg-migrate' | 'sequelize';

export interface MigrationCommand {
  tool: MigrationTool;
  /** run: applies migrations to the database; check: only inspects them (status, diff, check). */
  action: 'run' | 'check';
  /** The words after the tool, flags included. */
  args: string[];
  /** The command from the tool on, for messages. */
  text: string;
}

/**
 * Recognises a database migration command however it is started: directly, through a package
 * runner (`npx`, `pnpm exec`), as a package-manager bin (`pnpm prisma …`, `yarn knex …`) or by path
 * (`node node_modules/.bin/typeorm …`).
 */
export function classifyMigrationCommand(rawArgv: string[]): MigrationCommand | undefined {
  let argv = toolArgv(rawArgv);
  const bin = /^(prisma|knex|drizzle-kit|typeorm(-ts-node-(commonjs|esm))?|node-pg-migrate|sequelize(-cli)?)$/;
  if ((argv[0] === 'pnpm' || argv[0] === 'yarn' || argv[0] === 'bun') && bin.test(argv[1] ?? '')) argv = argv.slice(1);
  else if ((argv[0] === 'node' || argv[0] === 'bun') && /node_modules\/(\.bin\/)?(@[^/]+\/)?[^/]+/.test(argv[1] ?? '')) {
    const name = /node_modules\/(?:\.bin\/)?(?:@[^/]+\/)?([^/]+)/.exec(argv[1])![1];
    argv = [name, ...argv.slice(2)];
  }
  const program = (argv[0] ?? '').split('/').pop() ?? '';
  if (!bin.test(program)) return undefined;
  const tool: MigrationTool = program.startsWith('typeorm') ? 'typeorm' : program.startsWith('sequelize') ? 'sequelize' : (program as MigrationTool);
  const args = argv.slice(1);
  const words = args.filter((w) => !w.startsWith('-'));
  const text = argv.join(' ');
  const result = (action: 'run' | 'check'): MigrationCommand => ({ tool, action, args, text });
  switch (tool) {
    case 'prisma':
      if (words[0] === 'migrate') {
        if (words[1] === 'deploy' || words[1] === 'dev' || words[1] === 'reset') return result('run');
        if (words[1] === 'diff' || words[1] === 'status') return result('check');
      }
      if (words[0] === 'db' && words[1] === 'push') return result('run');
      return undefined;
    case 'drizzle-kit':
      if (words[0] === 'migrate' || words[0] === 'push') return result('run');
      if (words[0] === 'check') return result('check');
      return undefined;
    case 'knex':
      if (words[0] === 'migrate:latest' || words[0] === 'migrate:up') return result('run');
      if (words[0] === 'migrate:status' || words[0] === 'migrate:list') return result('check');
      return undefined;
    case 'typeorm':
      if (words[0] === 'migration:run') return result('run');
      if (words[0] === 'migration:show') return result('check');
      return undefined;
    case 'node-pg-migrate':
      return words.length === 0 || words[0] === 'up' ? result('run') : undefined;
    case 'sequelize':
      if (words[0] === 'db:migrate') return result('run');
      if (words[0] === 'db:migrate:status') return result('check');
      return undefined;
  }
}
