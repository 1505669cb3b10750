import type { Loc, Located } from './location.js';

/** A `generator` block of a Prisma schema. */
export interface PrismaGenerator {
  name: string;
  /** `prisma-client-js`, `prisma-client`, or a community generator. */
  provider?: Located<string>;
  /**
   * Engines `prisma generate` downloads next to the client, each where it is written. Undefined when
   * the block has no `binaryTargets`: Prisma then ships only `native`, the engine of the machine
   * that runs `prisma generate`.
   */
  binaryTargets?: Located<string>[];
  /** The `binaryTargets` line; undefined when absent or written as an expression (env("…")). */
  binaryTargetsLoc?: Loc;
  /** Written as something other than a list of strings: the targets are unknown. */
  binaryTargetsUnknown?: boolean;
  /** `output`, resolved against the schema's folder (repo-relative); undefined for the default (node_modules/.prisma/client). */
  output?: Located<string>;
  /** `engineType` ("library", "binary", "client"). */
  engineType?: Located<string>;
  previewFeatures: string[];
  loc: Loc;
}

export interface PrismaSchema {
  path: string;
  /** Folder of the package.json that owns the schema (nearest above it), '' for the root. */
  packageDir?: string;
  /**
   * Folder of the project the schema belongs to: the nearest folder above it with a package.json or
   * an Nx project.json (Nx projects often have no package.json of their own, so packageDir is then
   * the workspace root while the schema belongs to one project).
   */
  projectDir?: string;
  generators: PrismaGenerator[];
}

/** Generators that produce Prisma Client with a native query engine chosen at generate time. */
export function clientGenerators(schema: PrismaSchema): PrismaGenerator[] {
  return schema.generators.filter((g) => {
    const provider = g.provider?.value;
    if (provider !== 'prisma-client-js' && provider !== 'prisma-client') return false;
    // engineType "client" / the queryCompiler preview feature: no Rust engine, nothing platform-specific.
    return g.engineType?.value !== 'client' && !g.previewFeatures.includes('queryCompiler');
  });
}
