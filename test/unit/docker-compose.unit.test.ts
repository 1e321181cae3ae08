import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  defaultPorts,
  loadGatewayConfig,
  loadSubgraphConfig,
  subgraphNames,
  type Environment,
  type SubgraphName,
} from '../../subgraphs/kit/config';
import { serviceNodeFlags } from '../../scripts/service-node-flags';

const root = join(__dirname, '..', '..');
const secret = 's'.repeat(40);

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, unknown> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  ports?: (string | number)[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

/**
 * The interpolation docker compose applies: `$$` is a literal `$`; `${VAR:-default}` and
 * `${VAR-default}` fall back; `${VAR:?message}` and `${VAR?message}` fail when unset.
 */
function interpolate(text: string, vars: Environment): string {
  return text.replace(
    /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_match, whole: string, name: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (whole === '$') return '$';
      const key = (name ?? bare)!;
      const value = vars[key];
      const missing = op?.startsWith(':') ? value === undefined || value === '' : value === undefined;
      if (op === ':-' || op === '-') return missing ? (arg ?? '') : value!;
      if (op === ':?' || op === '?') {
        if (missing) throw new Error(`${key} is required: ${arg}`);
        return value!;
      }
      return value ?? '';
    },
  );
}

function interpolateAll<T>(value: T, vars: Environment): T {
  if (typeof value === 'string') return interpolate(value, vars) as T;
  if (Array.isArray(value)) return value.map((v) => interpolateAll(v, vars)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, vars)])) as T;
  }
  return value;
}

const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');

/** The compose file as `docker compose` sees it when only the required secret is set. */
function loadCompose(vars: Environment = { INTERNAL_AUTH_SECRET: secret }): ComposeFile {
  // `merge: true` resolves the `<<: *anchor` keys the file uses to share settings.
  const raw = parse(composeText, { merge: true }) as ComposeFile;
  return { services: interpolateAll(raw.services, vars) };
}

function environmentOf(service: ComposeService): Environment {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => [entry.split('=')[0], entry.slice(entry.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null || v === undefined ? undefined : String(v)]));
}

function healthcheckCommand(service: ComposeService): string {
  const test = service.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

function dependencyConditions(service: ComposeService): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, v?.condition]));
}

const compose = loadCompose();
const services = compose.services;
const postgresEnv = environmentOf(services.postgres ?? {});

describe('docker-compose.yml', () => {
  it('defines postgres, nats, the four subgraphs and the gateway, each with a healthcheck', () => {
    for (const name of ['postgres', 'nats', ...subgraphNames, 'gateway']) {
      expect(services[name]).toBeDefined();
      expect(services[name].healthcheck?.disable).not.toBe(true);
      expect(healthcheckCommand(services[name])).not.toBe('');
    }
  });

  it('refuses to render without INTERNAL_AUTH_SECRET', () => {
    expect(() => loadCompose({})).toThrow(/INTERNAL_AUTH_SECRET/);
  });

  it('checks postgres with pg_isready and nats on its monitoring /healthz, with JetStream on', () => {
    expect(healthcheckCommand(services.postgres)).toMatch(/pg_isready/);
    expect(services.postgres.image).toMatch(/^postgres:16/);
    const nats = services.nats.command!.join(' ');
    expect(nats).toMatch(/(^| )(-js|--jetstream)( |$)/);
    expect(nats).toMatch(/(-m|--http_port) 8222/);
    expect(healthcheckCommand(services.nats)).toMatch(/:8222\/healthz/);
  });

  describe.each(subgraphNames.map((name) => [name]))('the %s service', (name: SubgraphName) => {
    const service = services[name];
    const env = environmentOf(service);
    const upper = name.toUpperCase();

    it('has an environment its config loader accepts: production, all interfaces, its default port, NATS', () => {
      const config = loadSubgraphConfig(name, env);
      expect(config.env).toBe('production');
      expect(config.host).toBe('0.0.0.0');
      expect(config.port).toBe(defaultPorts[name]);
      expect(config.internalAuthSecret).toBe(secret);
      expect(config.eventBus.kind).toBe('nats');
      const nats = new URL(config.eventBus.natsUrl!);
      expect(services[nats.hostname]).toBe(services.nats);
      expect(nats.port).toBe('4222');
    });

    it(`connects with its own ${upper}_DATABASE_URL to the postgres service, as the role the init script creates`, () => {
      // Its own variable, not the shared DATABASE_URL, so it never falls back to a common role.
      expect(env.DATABASE_URL).toBeUndefined();
      const url = new URL(env[`${upper}_DATABASE_URL`]!);
      expect(url.hostname).toBe('postgres');
      expect(url.pathname).toBe(`/${postgresEnv.POSTGRES_DB}`);
      expect(url.username).toBe(name);
      // The password the init script gives the role is the one the service connects with.
      expect(decodeURIComponent(url.password)).toBe(postgresEnv[`${upper}_DB_PASSWORD`]);
      expect(loadSubgraphConfig(name, env).databaseUrl).toBe(env[`${upper}_DATABASE_URL`]);
    });

    it('runs its compiled entry point and is healthy only when its own /readyz answers', () => {
      expect(service.command).toEqual(['node', `dist/subgraphs/${name}/main.js`]);
      expect(existsSync(join(root, 'subgraphs', name, 'main.ts'))).toBe(true);
      expect(healthcheckCommand(service)).toContain(`http://127.0.0.1:${defaultPorts[name]}/readyz`);
    });

    it('starts only after postgres and nats are healthy', () => {
      expect(dependencyConditions(service)).toEqual({ postgres: 'service_healthy', nats: 'service_healthy' });
    });
  });

  it('runs every service with the Node flags that npm start and the tests give it', () => {
    for (const name of [...subgraphNames, 'gateway']) expect(environmentOf(services[name]).NODE_OPTIONS).toBe(serviceNodeFlags.join(' '));
  });

  it('connects each subgraph as a different database user', () => {
    const users = subgraphNames.map((name) => new URL(environmentOf(services[name])[`${name.toUpperCase()}_DATABASE_URL`]!).username);
    expect(new Set(users).size).toBe(subgraphNames.length);
  });

  it('creates, in the postgres init script, one login role per subgraph owning the schema of its name', () => {
    const script = readFileSync(join(root, 'docker', 'postgres-init.sh'), 'utf8');
    for (const name of subgraphNames) {
      expect(script).toMatch(new RegExp(`CREATE ROLE ${name} LOGIN`));
      expect(script).toMatch(new RegExp(`CREATE SCHEMA ${name} AUTHORIZATION ${name};`));
    }
    expect(script).toMatch(/GRANT USAGE, CREATE ON SCHEMA eventbus TO identity, team, billing, audit;/);
  });

  describe('the gateway service', () => {
    const service = services.gateway;
    const env = environmentOf(service);

    it('has an environment its config loader accepts, with the secret the subgraphs verify', () => {
      const config = loadGatewayConfig(env);
      expect(config.env).toBe('production');
      expect(config.host).toBe('0.0.0.0');
      expect(config.port).toBe(defaultPorts.gateway);
      for (const name of subgraphNames) {
        expect(loadSubgraphConfig(name, environmentOf(services[name])).internalAuthSecret).toBe(config.internalAuthSecret);
      }
      // Resolved against the image's working directory, where the Dockerfile copies schema/.
      expect(existsSync(join(root, config.supergraphPath))).toBe(true);
    });

    it('reaches each subgraph by its compose service name on the port that subgraph listens on', () => {
      const { subgraphUrls } = loadGatewayConfig(env);
      for (const name of subgraphNames) {
        const url = new URL(subgraphUrls[name]);
        expect(url.hostname).toBe(name);
        expect(Number(url.port)).toBe(loadSubgraphConfig(name, environmentOf(services[name])).port);
        expect(url.pathname).toBe('/graphql');
      }
    });

    it('publishes its operation records to the same NATS stream the subgraphs consume', () => {
      const { operationLog } = loadGatewayConfig(env);
      const audit = loadSubgraphConfig('audit', environmentOf(services.audit));
      expect(operationLog?.eventBus).toEqual(audit.eventBus);
      expect(operationLog?.eventBus.kind).toBe('nats');
    });

    it('publishes its port, is health-checked on /readyz and starts after every subgraph, NATS and Redis are healthy', () => {
      const port = loadGatewayConfig(env).port;
      expect((service.ports ?? []).map(String)).toContain(`${port}:${port}`);
      expect(healthcheckCommand(service)).toContain(`http://127.0.0.1:${port}/readyz`);
      expect(service.command).toEqual(['node', 'dist/gateway/main.js']);
      expect(dependencyConditions(service)).toEqual({ ...Object.fromEntries(subgraphNames.map((n) => [n, 'service_healthy'])), redis: 'service_healthy', nats: 'service_healthy' });
      expect(loadGatewayConfig(env).redisUrl).toBe('redis://redis:6379');
    });
  });
});

describe('Dockerfile', () => {
  const path = join(root, 'Dockerfile');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const stages = text.split(/^FROM\s/im).slice(1);

  it('builds in at least two stages', () => {
    expect(existsSync(path)).toBe(true);
    expect(stages.length).toBeGreaterThanOrEqual(2);
  });

  it('runs the final stage as a non-root user, with the supergraph the gateway reads', () => {
    const runtime = stages[stages.length - 1] ?? '';
    const user = runtime.match(/^USER\s+(\S+)/im)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(runtime).toMatch(/^COPY\s+schema\s/im);
    expect(runtime).toMatch(/^CMD\s+\["node",\s*"dist\/gateway\/main\.js"\]/im);
  });
});
