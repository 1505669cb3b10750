import type { SignalHandlerFact, SourceFacts } from '../../../model/source.js';
import type { Loc } from '../../../model/location.js';
import type { Node } from '../ast.js';

/**
 * What a detector may read about the file being walked, and where it records what it found: the
 * fact lists of the service model (env, timer-based shutdown deadlines, TLS, client URLs and background work are
 * collected outside the detectors).
 */
export interface WalkContext
  extends Pick<
    SourceFacts,
    | 'servers' | 'routes' | 'signalHandlers' | 'shutdownTimeouts' | 'connections' | 'cors' | 'logFiles' | 'serverTimeouts'
    | 'gateMiddleware' | 'trustProxy' | 'proxyDependentUses' | 'realtimeServers' | 'realtimeAdapters' | 'sessionStores'
  > {
  file: string;
  text: string;
  /** Location of a node (1-based line). */
  loc(node: Node): Loc;
  /** Source text of a node. */
  source(node: Node): string;
  /** Module a local name was imported or required from (`express` for `import express from 'express'`). */
  importedFrom(localName: string): { module: string; imported: string } | undefined;
  /** True when the file imports or requires this module (or a subpath of it). */
  imports(module: string): boolean;
  /** Initializer of a `const`/`let` of this file by name, when it has one. */
  constant(name: string): Node | undefined;
  /** Parents of the current node, nearest last. */
  ancestors: Node[];
  /** The current node only runs outside production. */
  devOnly(): boolean;
  /** Collects what a function (inline or named in this file) calls, following local functions. */
  callsOf(fn: Node): SignalHandlerFact['calls'];
}

/**
 * One detector per framework or library (the knip plugin idea): enabled when a package it names is
 * among the dependencies of the package that owns the file; it turns the calls and classes of that
 * framework into facts. Nothing outside frameworks/ names a framework.
 */
export interface Detector {
  name: string;
  /** Dependencies that enable it. */
  packages: string[];
  /**
   * It only reacts to names imported from its packages, so it can run in every file: a shared
   * library of a monorepo often uses a client its services declare (hoisted dependencies).
   */
  importBased?: boolean;
  /** Production entry files by convention, relative to the package folder, most likely first. */
  entryConventions?: string[];
  /** Text that a file must contain for this detector to find anything in it (cheap prefilter). */
  hints: RegExp;
  /** Each call expression of a walked file. */
  call?(call: Node, ctx: WalkContext): void;
  /** Each `new X(...)` of a walked file. */
  construct?(node: Node, ctx: WalkContext): void;
  /** Each class declaration or expression of a walked file. */
  klass?(node: Node, ctx: WalkContext): void;
  /** Each member expression (`req.ip`) of a walked file, except `process.env` reads. */
  member?(node: Node, ctx: WalkContext): void;
  /** Each assignment (`server.keepAliveTimeout = 65000`) of a walked file. */
  assign?(node: Node, ctx: WalkContext): void;
  /** Each comparison (`===`, `==`) and `switch` case of a walked file. */
  compare?(left: Node, right: Node, at: Node, ctx: WalkContext): void;
}
