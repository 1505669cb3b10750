import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { audit, type AuditResult } from '../src/engine/audit.js';
import { FIXTURE_TODAY, toLine } from './helpers/fixtures.js';

/**
 * The src/* field rules (keep-alive vs load balancer idle timeout, trust proxy, in-memory state with
 * several tasks, health route behind middleware) on small repositories written here: the near misses
 * that must stay silent, and the shapes of real code the discoverer must read.
 */

const FIELD_RULES = ['src/keepalive-below-lb-idle', 'src/trust-proxy-missing', 'src/in-memory-state-multi-task', 'src/health-route-intercepted'];

/** An ECS service running `orders-api` (2 tasks unless told) behind an ALB (or an NLB), in Terraform. */
function terraform({ desiredCount = 2, idleTimeout, lbType = 'application' }: { desiredCount?: number | string; idleTimeout?: number | string; lbType?: string } = {}): string {
  return `resource "aws_ecs_task_definition" "orders" {
  family                   = "orders-api"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  container_definitions = jsonencode([
    { name = "orders-api", image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api:1.0.0", essential = true, portMappings = [{ containerPort = 3000 }] }
  ])
}

resource "aws_ecs_service" "orders" {
  name            = "orders-api"
  task_definition = aws_ecs_task_definition.orders.arn
  desired_count   = ${desiredCount}
  launch_type     = "FARGATE"
  load_balancer {
    target_group_arn = aws_lb_target_group.orders.arn
    container_name   = "orders-api"
    container_port   = 3000
  }
}

resource "aws_lb" "main" {
  name               = "orders"
  load_balancer_type = "${lbType}"
${idleTimeout !== undefined ? `  idle_timeout       = ${idleTimeout}\n` : ''}}

resource "aws_lb_target_group" "orders" {
  port        = 3000
  protocol    = "HTTP"
  target_type = "ip"
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.main.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.orders.arn
  }
}
`;
}

function packageJson(dependencies: Record<string, string>): string {
  return JSON.stringify({ name: 'orders-api', version: '1.0.0', main: 'src/index.js', dependencies }, null, 2);
}

async function auditRepo(files: Record<string, string>): Promise<AuditResult> {
  const root = mkdtempSync(join(tmpdir(), 'shipready-field-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return await audit(root, { now: FIXTURE_TODAY });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function fieldFindings(result: AuditResult): string[] {
  return result.findings.filter((f) => FIELD_RULES.includes(f.ruleId)).map(toLine).sort();
}

const EXPRESS_TUNED = `const express = require('express');
const app = express();
app.get('/healthz', (req, res) => res.send('ok'));
const server = app.listen(3000);
server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;
`;

test("near miss: Fastify's default keep-alive (72 s) under the ALB's default 60 s idle timeout is silent", async () => {
  const result = await auditRepo({
    'package.json': packageJson({ fastify: '5.1.0' }),
    'infra/main.tf': terraform(),
    'src/index.js': `const Fastify = require('fastify');
const app = Fastify({ logger: true });
app.get('/healthz', async () => ({ ok: true }));
app.listen({ port: 3000, host: '0.0.0.0' });
`,
  });
  const service = result.model.services[0];
  assert.equal(service.servers[0]?.framework, 'fastify');
  assert.deepEqual(service.serverTimeouts, []);
  assert.deepEqual(fieldFindings(result), []);
});

test("Fastify's default keep-alive (72 s) under a 120 s idle timeout fires at the listen call", async () => {
  const result = await auditRepo({
    'package.json': packageJson({ fastify: '5.1.0' }),
    'infra/main.tf': terraform({ idleTimeout: 120 }),
    'src/index.js': `const Fastify = require('fastify');
const app = Fastify();
app.get('/healthz', async () => ({ ok: true }));
app.listen({ port: 3000, host: '0.0.0.0' });
`,
  });
  assert.deepEqual(fieldFindings(result), ['src/index.js:4 src/keepalive-below-lb-idle']);
  const finding = result.findings.find((f) => f.ruleId === 'src/keepalive-below-lb-idle')!;
  assert.match(finding.message, /72 s \(Fastify's default/);
  assert.match(finding.message, /idle timeout 120 s \(aws_lb\.main, infra\/main\.tf:\d+\)/);
});

test('near miss: keepAliveTimeout = 65000 with headersTimeout = 66000 under a 60 s ALB is silent', async () => {
  const result = await auditRepo({ 'package.json': packageJson({ express: '4.21.2' }), 'infra/main.tf': terraform(), 'src/index.js': EXPRESS_TUNED });
  const settings = result.model.services[0].serverTimeouts.map((t) => `${t.setting}=${t.value.value}@${t.loc.line}`);
  assert.deepEqual(settings, ['keepAliveTimeout=65000@5', 'headersTimeout=66000@6']);
  assert.deepEqual(fieldFindings(result), []);
});

test('keep-alive: a network load balancer, an idle timeout written as a variable, or no load balancer at all give no finding', async () => {
  const app = `const express = require('express');\nconst app = express();\napp.get('/healthz', (req, res) => res.send('ok'));\napp.listen(3000);\n`;
  for (const tf of [terraform({ lbType: 'network' }), terraform({ idleTimeout: 'var.idle_timeout' }), undefined]) {
    const result = await auditRepo({ 'package.json': packageJson({ express: '4.21.2' }), ...(tf ? { 'infra/main.tf': tf } : {}), 'src/index.js': app });
    assert.equal(result.model.services[0].kind, 'http');
    assert.deepEqual(fieldFindings(result), []);
  }
});

test("keep-alive: Nest's getHttpServer() assignments and the FastifyAdapter option are read", async () => {
  const result = await auditRepo({
    'package.json': packageJson({ '@nestjs/core': '10.4.8', '@nestjs/common': '10.4.8', '@nestjs/platform-fastify': '10.4.8' }),
    'infra/main.tf': terraform({ idleTimeout: 90 }),
    'src/main.ts': `import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule, new FastifyAdapter({ keepAliveTimeout: 61_000 }));
  const server = app.getHttpServer();
  server.headersTimeout = 30_000;
  await app.listen(3000, '0.0.0.0');
}
void bootstrap();
`,
    'src/app.module.ts': `import { Module } from '@nestjs/common';\n@Module({})\nexport class AppModule {}\n`,
  });
  const service = result.model.services[0];
  assert.deepEqual(
    service.serverTimeouts.map((t) => `${t.setting}=${t.value.value} ${t.via}`),
    ['keepAliveTimeout=61000 FastifyAdapter option', 'headersTimeout=30000 server.headersTimeout ='],
  );
  assert.deepEqual(fieldFindings(result), ['src/main.ts:6 src/keepalive-below-lb-idle', 'src/main.ts:8 src/keepalive-below-lb-idle']);
});

test('trust proxy: a false setting is no trust; enable(), a keyGenerator and session proxy: true are understood', async () => {
  const fires = await auditRepo({
    'package.json': packageJson({ express: '4.21.2' }),
    'infra/main.tf': terraform(),
    'src/index.js': EXPRESS_TUNED.replace("const app = express();", "const app = express();\napp.set('trust proxy', false);\napp.use((req, res, next) => { if (!req.secure) return res.redirect('https://' + req.headers.host + req.url); next(); });"),
  });
  // The redirect also sits before the health route: both rules see it.
  assert.deepEqual(fieldFindings(fires), ['src/index.js:4 src/health-route-intercepted', 'src/index.js:4 src/trust-proxy-missing']);
  assert.match(fires.findings.find((f) => f.ruleId === 'src/trust-proxy-missing')!.message, /it is set to false in src\/index\.js:3/);

  const silent = await auditRepo({
    'package.json': packageJson({ express: '4.21.2', 'express-rate-limit': '7.4.1', 'express-session': '1.18.1', 'connect-redis': '7.1.1' }),
    'infra/main.tf': terraform({ desiredCount: 1 }),
    'src/index.js': `const express = require('express');
const rateLimit = require('express-rate-limit');
const session = require('express-session');
const RedisStore = require('connect-redis').default;
const app = express();
app.use(rateLimit({ windowMs: 60000, limit: 10, keyGenerator: (req) => req.get('x-api-key') }));
app.use(session({ store: new RedisStore({ client }), proxy: true, secret: 's', cookie: { secure: true } }));
app.get('/healthz', (req, res) => res.send('ok'));
const server = app.listen(3000);
server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;
`,
  });
  const service = silent.model.services[0];
  assert.equal(service.sessionStores.length, 1);
  assert.equal(service.sessionStores[0].inMemory, false);
  assert.equal(service.sessionStores[0].trustsProxy, true);
  assert.deepEqual(fieldFindings(silent), []);

  const enabled = await auditRepo({
    'package.json': packageJson({ express: '4.21.2' }),
    'infra/main.tf': terraform(),
    'src/index.js': EXPRESS_TUNED.replace("const app = express();", "const app = express();\napp.enable('trust proxy');\napp.use((req, res, next) => { console.log(req.ip); next(); });"),
  });
  assert.deepEqual(enabled.model.services[0].trustProxy.map((t) => t.value), ['true']);
  assert.deepEqual(fieldFindings(enabled), []);
});

test('in-memory state: require("socket.io")(server), a MemoryStore and the memorystore package with 3 tasks; websocket-only transport is silent', async () => {
  const result = await auditRepo({
    'package.json': packageJson({ express: '4.21.2', 'socket.io': '4.8.1', 'express-session': '1.18.1', memorystore: '1.6.7' }),
    'infra/main.tf': terraform({ desiredCount: 3 }),
    'src/index.js': `const express = require('express');
const http = require('http');
const session = require('express-session');
const MemoryStore = require('memorystore')(session);
const app = express();
app.set('trust proxy', 1);
app.use(session({ store: new MemoryStore({ checkPeriod: 86400000 }), secret: 's' }));
app.use('/admin', session({ store: new session.MemoryStore(), secret: 's' }));
app.get('/healthz', (req, res) => res.send('ok'));
const server = http.createServer(app);
server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;
const io = require('socket.io')(server);
const live = require('socket.io')(server, { transports: ['websocket'] });
io.on('connection', (s) => s.join('orders'));
server.listen(3000);
`,
  });
  assert.deepEqual(fieldFindings(result), [
    'src/index.js:13 src/in-memory-state-multi-task',
    'src/index.js:7 src/in-memory-state-multi-task',
    'src/index.js:8 src/in-memory-state-multi-task',
  ]);
  const service = result.model.services[0];
  assert.deepEqual(service.realtimeServers.map((r) => r.websocketOnly), [false, true]);
  assert.match(result.findings.find((f) => f.ruleId === 'src/in-memory-state-multi-task' && f.line === 13)!.message, /3 tasks \(desired count of aws_ecs_service\.orders/);
});

test('in-memory state: an unknown desired count is silent', async () => {
  const result = await auditRepo({
    'package.json': packageJson({ express: '4.21.2', 'express-session': '1.18.1' }),
    'infra/main.tf': terraform({ desiredCount: 'var.desired_count' }),
    'src/index.js': `const express = require('express');\nconst session = require('express-session');\nconst app = express();\napp.use(session({ secret: 's' }));\napp.get('/healthz', (req, res) => res.send('ok'));\napp.listen(3000);\n`,
  });
  assert.equal(result.model.services[0].sessionStores[0]?.inMemory, true);
  assert.deepEqual(fieldFindings(result).filter((l) => l.includes('in-memory')), []);
});

test('near miss: the health route registered before auth and redirects is silent; the same middleware after it fires', async () => {
  const before = `const express = require('express');
const passport = require('passport');
const app = express();
app.get('/healthz', (req, res) => res.send('ok'));
app.use((req, res, next) => (req.secure ? next() : res.redirect(301, 'https://' + req.headers.host + req.url)));
app.use(passport.authenticate('jwt', { session: false }));
app.listen(3000);
`;
  const silent = await auditRepo({ 'package.json': packageJson({ express: '4.21.2', passport: '0.7.0' }), 'src/index.js': before });
  assert.equal(silent.model.services[0].gateMiddleware.length, 2);
  assert.deepEqual(fieldFindings(silent), []);

  const after = before.replace("app.get('/healthz', (req, res) => res.send('ok'));\n", '').replace('app.listen(3000);', "app.get('/healthz', (req, res) => res.send('ok'));\napp.listen(3000);");
  const fires = await auditRepo({ 'package.json': packageJson({ express: '4.21.2', passport: '0.7.0' }), 'src/index.js': after });
  assert.deepEqual(fieldFindings(fires), ['src/index.js:4 src/health-route-intercepted', 'src/index.js:5 src/health-route-intercepted']);
});

test('health route: a prefix mount, an auth that is not required, another router, and a router mounted without a path are silent', async () => {
  const result = await auditRepo({
    'package.json': packageJson({ express: '4.21.2', 'express-openid-connect': '2.17.1', 'express-jwt': '8.4.1' }),
    'src/index.js': `const express = require('express');
const { auth } = require('express-openid-connect');
const { expressjwt } = require('express-jwt');
const apiRouter = require('./api');
const app = express();
const admin = express.Router();
app.use(auth({ authRequired: false }));
app.use('/api', expressjwt({ secret: 's', algorithms: ['HS256'] }));
admin.use(expressjwt({ secret: 's', algorithms: ['HS256'] }));
app.use(apiRouter);
app.get('/healthz', (req, res) => res.send('ok'));
app.listen(3000);
`,
    'src/api.js': `const express = require('express');\nmodule.exports = express.Router();\n`,
  });
  assert.deepEqual(
    result.model.services[0].gateMiddleware.map((g) => `${g.on} ${g.mountPaths?.join(',') ?? '*'} ${g.evidence}`),
    ['app /api express-jwt', 'admin * express-jwt'],
  );
  assert.deepEqual(fieldFindings(result), []);
});

test('trust proxy: a Nest app on Express reads req.ip in a controller; app.set on the Nest app turns the finding off', async () => {
  const controller = `import { Controller, Get, Req } from '@nestjs/common';
import type { Request } from 'express';

@Controller()
export class AppController {
  @Get('healthz')
  health() {
    return { ok: true };
  }

  @Get('whoami')
  whoami(@Req() req: Request) {
    return { ip: req.ip };
  }
}
`;
  const main = (extra: string) => `import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create<NestExpressApplication>(AppModule);
${extra}  const server = await app.listen(3000);
  server.keepAliveTimeout = 65000;
  server.headersTimeout = 66000;
}
void bootstrap();
`;
  const files = (extra: string) => ({
    'package.json': packageJson({ '@nestjs/core': '10.4.8', '@nestjs/common': '10.4.8', '@nestjs/platform-express': '10.4.8' }),
    'infra/main.tf': terraform(),
    'src/main.ts': main(extra),
    'src/app.module.ts': `import { Module } from '@nestjs/common';\nimport { AppController } from './app.controller';\n@Module({ controllers: [AppController] })\nexport class AppModule {}\n`,
    'src/app.controller.ts': controller,
  });
  const fires = await auditRepo(files(''));
  assert.deepEqual(fieldFindings(fires), ['src/app.controller.ts:13 src/trust-proxy-missing']);
  const silent = await auditRepo(files("  app.set('trust proxy', 1);\n"));
  assert.deepEqual(silent.model.services[0].trustProxy.map((t) => t.value), ['1']);
  assert.deepEqual(fieldFindings(silent), []);
});

test('in-memory state: a Nest @WebSocketGateway with 2 tasks fires; a Redis IoAdapter installed with useWebSocketAdapter is silent', async () => {
  const files = (main: string) => ({
    'package.json': packageJson({ '@nestjs/core': '10.4.8', '@nestjs/common': '10.4.8', '@nestjs/websockets': '10.4.8', '@nestjs/platform-socket.io': '10.4.8' }),
    'infra/main.tf': terraform({ desiredCount: 2 }),
    'src/main.ts': main,
    'src/app.module.ts': `import { Module } from '@nestjs/common';\nimport { EventsGateway } from './events.gateway';\n@Module({ providers: [EventsGateway] })\nexport class AppModule {}\n`,
    'src/events.gateway.ts': `import { WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Server } from 'socket.io';

@WebSocketGateway({ cors: { origin: 'https://app.example.com' } })
export class EventsGateway {
  @WebSocketServer() server!: Server;
}
`,
  });
  const main = (extra: string) => `import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
${extra ? "import { RedisIoAdapter } from './redis-io.adapter';\n" : ''}
async function bootstrap() {
  const app = await NestFactory.create(AppModule);
${extra}  await app.listen(3000);
}
void bootstrap();
`;
  const fires = await auditRepo(files(main('')));
  assert.deepEqual(fieldFindings(fires).filter((l) => l.includes('in-memory')), ['src/events.gateway.ts:4 src/in-memory-state-multi-task']);
  const silent = await auditRepo({
    ...files(main('  app.useWebSocketAdapter(new RedisIoAdapter(app));\n')),
    'src/redis-io.adapter.ts': `import { IoAdapter } from '@nestjs/platform-socket.io';\nexport class RedisIoAdapter extends IoAdapter {}\n`,
  });
  assert.equal(silent.model.services[0].realtimeAdapters.length, 1);
  assert.deepEqual(fieldFindings(silent).filter((l) => l.includes('in-memory')), []);
});

test('trust proxy: Fastify({ trustProxy }) and Nest FastifyAdapter({ trustProxy }) are recorded; src/trust-proxy-missing stays Express-only', async () => {
  const fastify = await auditRepo({
    'package.json': packageJson({ fastify: '5.1.0' }),
    'infra/main.tf': terraform(),
    'src/index.js': `const Fastify = require('fastify');
const app = Fastify({
  logger: true,
  trustProxy: true,
});
app.get('/healthz', async () => ({ ok: true }));
app.get('/whoami', async (request) => ({ ip: request.ip }));
app.listen({ port: 3000, host: '0.0.0.0' });
`,
  });
  assert.deepEqual(fastify.model.services[0].trustProxy.map((t) => `${t.value}@${t.loc.file}:${t.loc.line}`), ['true@src/index.js:4']);
  assert.deepEqual(fieldFindings(fastify), []);

  // Options kept in a variable of the same file; no trustProxy at all records nothing.
  const declared = await auditRepo({
    'package.json': packageJson({ fastify: '5.1.0' }),
    'src/index.mjs': `import Fastify from 'fastify';
const options = { logger: true, trustProxy: '10.0.0.0/8' };
const app = Fastify(options);
app.get('/healthz', async () => ({ ok: true }));
await app.listen({ port: 3000, host: '0.0.0.0' });
`,
  });
  assert.deepEqual(declared.model.services[0].trustProxy.map((t) => `${t.value}@${t.loc.line}`), ["'10.0.0.0/8'@2"]);
  const none = await auditRepo({
    'package.json': packageJson({ fastify: '5.1.0' }),
    'src/index.js': `const app = require('fastify')();\napp.get('/healthz', async () => ({ ok: true }));\napp.listen({ port: 3000, host: '0.0.0.0' });\n`,
  });
  assert.deepEqual(none.model.services[0].trustProxy, []);

  const nest = await auditRepo({
    'package.json': packageJson({ '@nestjs/core': '10.4.8', '@nestjs/common': '10.4.8', '@nestjs/platform-fastify': '10.4.8' }),
    'infra/main.tf': terraform(),
    'src/main.ts': `import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter({ trustProxy: 1 }));
  await app.listen(3000, '0.0.0.0');
}
void bootstrap();
`,
    'src/app.module.ts': `import { Controller, Get, Ip, Module, Req } from '@nestjs/common';
@Controller()
class AppController {
  @Get('whoami')
  whoami(@Req() req: { ip: string }) {
    return { ip: req.ip };
  }
}
@Module({ controllers: [AppController] })
export class AppModule {}
`,
  });
  assert.deepEqual(nest.model.services[0].trustProxy.map((t) => `${t.value}@${t.loc.file}:${t.loc.line}`), ['1@src/main.ts:6']);
  assert.deepEqual(fieldFindings(nest), []);
});
