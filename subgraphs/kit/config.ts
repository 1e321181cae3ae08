import { z } from 'zod';

/**
 * Configuration is read from the environment exactly once, at process start-up, by the
 * entry point of each service. Everything else receives typed config objects.
 */
export type Environment = Record<string, string | undefined>;

const nodeEnv = z.enum(['development', 'production', 'test']).default('development');
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
const port = z.coerce.number().int().min(0).max(65535);

export const subgraphNames = ['identity', 'team', 'billing', 'audit'] as const;
export type SubgraphName = (typeof subgraphNames)[number];

export const defaultPorts: Record<SubgraphName | 'gateway', number> = {
  gateway: 4000,
  identity: 4001,
  team: 4002,
  billing: 4003,
  audit: 4004,
};

const eventBusSchema = z
  .object({
    EVENT_BUS: z.enum(['postgres', 'nats']).default('postgres'),
    NATS_URL: z.string().optional(),
    // One stream per environment, so environments sharing a NATS server never see each other's events.
    NATS_STREAM: z.string().regex(/^[A-Z0-9_]+$/, 'NATS_STREAM must be upper-case letters, digits and _').default('CONSOLE_EVENTS'),
  })
  .refine((v) => v.EVENT_BUS !== 'nats' || !!v.NATS_URL, {
    message: 'NATS_URL is required when EVENT_BUS=nats',
    path: ['NATS_URL'],
  });

export interface EventBusConfig {
  kind: 'postgres' | 'nats';
  natsUrl?: string;
  natsStream?: string;
}

export interface SubgraphConfig {
  name: SubgraphName;
  env: 'development' | 'production' | 'test';
  logLevel: z.infer<typeof logLevel>;
  host: string;
  port: number;
  databaseUrl: string;
  /** Shared secret the gateway signs principal assertions with. */
  internalAuthSecret: string;
  eventBus: EventBusConfig;
  /** Grace period for in-flight requests on shutdown. */
  shutdownGraceMs: number;
  /** DNS servers (`host:port`) for domain verification; the system resolver when empty. */
  dnsResolvers: string[];
  /** Where GitHub publishes the keys that sign secret-scanning reports. */
  secretScanningKeysUrl: string;
  /** OTLP/HTTP endpoint traces are exported to; none when absent. */
  otlpEndpoint?: string;
  /** How queued mail leaves (identity and team); absent: written to the log. */
  mail?: MailConfig;
  /** Audit only: how many days audit events are kept. */
  auditRetentionDays?: number;
  /**
   * Audit only: the connection the retention job deletes through (AUDIT_RETENTION_DATABASE_URL),
   * as the `audit_retention` role or a member of it. Outside production it defaults to the
   * subgraph's own URL acting as that role (the migration creates the role where it may).
   */
  auditRetentionDatabaseUrl?: string;
  /** Audit only: whether API request logs keep the request and response bodies (AUDIT_REQUEST_BODIES). */
  auditRequestBodies?: boolean;
  /** Billing rules (Billing only; the defaults when absent). */
  billing?: BillingConfig;
  /**
   * Identity only: the key TOTP secrets are encrypted with and recovery/email codes are peppered
   * with (IDENTITY_SECRET_KEY). When absent, Identity derives its keys from INTERNAL_AUTH_SECRET.
   */
  identitySecretKey?: string;
  /** Identity only: how often deleted accounts past their restore window are purged (IDENTITY_PURGE_INTERVAL_MS). */
  identityPurgeIntervalMs?: number;
  /** Identity only: the public web page of accounts that mailed links (password reset) open (PUBLIC_ACCOUNTS_URL). */
  identityAccountsUrl?: string;
  /** Identity only: the OpenID Connect providers users may sign in with (IDENTITY_<X|GOOGLE>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _REDIRECT_URL). */
  identityOAuth?: Partial<Record<OAuthProviderName, OAuthProviderConfig>>;
}

/** Outgoing mail: SMTP when `smtpUrl` is set, otherwise mail is only logged. */
export interface MailConfig {
  /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…:465 (SMTP_URL). */
  smtpUrl?: string;
  /** The From header, e.g. `Console <no-reply@example.com>` (MAIL_FROM). */
  from: string;
  /** How often the outbox is polled for mail due (MAIL_POLL_MS). */
  pollMs: number;
}

export type OAuthProviderName = 'X' | 'GOOGLE';

/** One OpenID Connect provider: discovered from its issuer; the client secret never leaves Identity. */
export interface OAuthProviderConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
}

/** Providers with all four settings; a partly configured provider is an error, an absent one is off. */
export function loadOAuthProviders(env: Environment): Partial<Record<OAuthProviderName, OAuthProviderConfig>> {
  const providers: Partial<Record<OAuthProviderName, OAuthProviderConfig>> = {};
  for (const name of ['X', 'GOOGLE'] as const) {
    const keys = ['ISSUER', 'CLIENT_ID', 'CLIENT_SECRET', 'REDIRECT_URL'].map((k) => `IDENTITY_${name}_${k}`);
    if (keys.every((k) => !env[k])) continue;
    const schema = z.object({
      [keys[0]]: z.string().url(),
      [keys[1]]: z.string().min(1),
      [keys[2]]: z.string().min(1),
      [keys[3]]: z.string().url(),
    });
    const c = parseOrThrow(schema, env, `identity ${name} sign-in`) as Record<string, string>;
    providers[name] = { issuer: c[keys[0]], clientId: c[keys[1]], clientSecret: c[keys[2]], redirectUrl: c[keys[3]] };
  }
  return providers;
}

/** What one token of a model costs, in ticks (1 tick = 1e-10 USD), and the tokens inference adds. */
export interface ModelPrice {
  promptTicksPerToken: bigint;
  cachedPromptTicksPerToken: bigint;
  completionTicksPerToken: bigint;
  /** Pre-defined prompt tokens inference adds to every request (not shown by a tokenizer). */
  predefinedPromptTokens: number;
}

export interface BillingConfig {
  /** Price table per model name. */
  prices: Record<string, ModelPrice>;
  /** ISO 3166 alpha-2 countries whose cards are refused before any charge. */
  blockedCardCountries: string[];
  /** Billing countries where the law requires refunds of prepaid credits. */
  refundCountries: string[];
  /** The highest invoiced spending limit a team may set itself. */
  maxInvoicedLimitTicks: bigint;
  /** `batched` (group commit, the default) or `per-event` (one transaction per event; for comparison only). */
  meteringMode: 'batched' | 'per-event';
}

const ticks = z.union([z.string().regex(/^\d{1,30}$/), z.number().int().nonnegative()]).transform((v) => BigInt(v));
const priceTable = z.record(
  z.string().min(1),
  z.object({
    prompt: ticks,
    cachedPrompt: ticks,
    completion: ticks,
    predefinedPromptTokens: z.number().int().min(0).max(1_000_000).default(0),
  }),
);
const countryList = z
  .string()
  .transform((v) => v.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[A-Z]{2}$/, 'countries are ISO 3166 alpha-2 codes, comma-separated')));

/**
 * Default prices (ticks per token): grok-4 $3 / $0.75 / $15 per million prompt / cached / completion
 * tokens, grok-3-mini $0.30 / $0.075 / $0.50. Override with BILLING_PRICES (JSON of the same shape).
 */
export const defaultPriceTable = JSON.stringify({
  'grok-4': { prompt: '30000', cachedPrompt: '7500', completion: '150000', predefinedPromptTokens: 28 },
  'grok-3-mini': { prompt: '3000', cachedPrompt: '750', completion: '5000', predefinedPromptTokens: 28 },
});

/** Billing rules from BILLING_PRICES, BILLING_BLOCKED_CARD_COUNTRIES, BILLING_REFUND_COUNTRIES, BILLING_MAX_INVOICED_LIMIT_TICKS. */
export function loadBillingConfig(env: Environment): BillingConfig {
  const schema = z.object({
    BILLING_PRICES: z
      .string()
      .default(defaultPriceTable)
      .transform((v, ctx) => {
        try {
          return JSON.parse(v) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'BILLING_PRICES must be JSON' });
          return z.NEVER;
        }
      })
      .pipe(priceTable),
    BILLING_BLOCKED_CARD_COUNTRIES: countryList.default(['IN']),
    BILLING_REFUND_COUNTRIES: countryList.default([]),
    // $1,000,000 by default.
    BILLING_METERING_MODE: z.enum(['batched', 'per-event']).default('batched'),
    BILLING_MAX_INVOICED_LIMIT_TICKS: z.string().regex(/^\d{1,30}$/).default('10000000000000000').transform((v) => BigInt(v)),
  });
  const c = parseOrThrow(schema, env, 'billing');
  const prices: Record<string, ModelPrice> = {};
  for (const [model, p] of Object.entries(c.BILLING_PRICES)) {
    prices[model] = {
      promptTicksPerToken: p.prompt,
      cachedPromptTicksPerToken: p.cachedPrompt,
      completionTicksPerToken: p.completion,
      predefinedPromptTokens: p.predefinedPromptTokens,
    };
  }
  return {
    prices,
    blockedCardCountries: c.BILLING_BLOCKED_CARD_COUNTRIES,
    refundCountries: c.BILLING_REFUND_COUNTRIES,
    maxInvoicedLimitTicks: c.BILLING_MAX_INVOICED_LIMIT_TICKS,
    meteringMode: c.BILLING_METERING_MODE,
  };
}

const secret = z.string().min(32, 'INTERNAL_AUTH_SECRET must be at least 32 characters');

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

function parseOrThrow<T extends z.ZodType>(schema: T, env: Environment, what: string): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid ${what} configuration: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

/** The role audit retention deletes as; the audit trigger lets no other role delete. */
export const AUDIT_RETENTION_ROLE = 'audit_retention';

/**
 * Development and tests: the subgraph's own connection, acting as the retention role from the
 * start (`-c role=…`, the same check as SET ROLE: the login role must be a member, as a
 * superuser is). Works whatever the server's authentication, the embedded one's passwords included.
 */
export function auditRetentionUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c role=${AUDIT_RETENTION_ROLE}`);
  return url.toString();
}

export function loadSubgraphConfig(name: SubgraphName, env: Environment): SubgraphConfig {
  const upper = name.toUpperCase();
  const schema = z.object({
    NODE_ENV: nodeEnv,
    LOG_LEVEL: logLevel,
    HOST: z.string().default('127.0.0.1'),
    [`${upper}_PORT`]: port.default(defaultPorts[name]),
    // A subgraph may be given its own connection (its own database role); otherwise the shared one.
    [`${upper}_DATABASE_URL`]: z.string().optional(),
    DATABASE_URL: z.string().optional(),
    INTERNAL_AUTH_SECRET: secret,
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
    DNS_RESOLVERS: z.string().default(''),
    SECRET_SCANNING_KEYS_URL: z.string().url().default('https://api.github.com/meta/public_keys/secret_scanning'),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).default(365),
    AUDIT_REQUEST_BODIES: z.enum(['true', 'false']).default('false'),
    AUDIT_RETENTION_DATABASE_URL: z.string().optional(),
    IDENTITY_SECRET_KEY: z.string().min(32, 'IDENTITY_SECRET_KEY must be at least 32 characters').optional(),
    IDENTITY_PURGE_INTERVAL_MS: z.coerce.number().int().min(1000).default(3_600_000),
    PUBLIC_ACCOUNTS_URL: z.string().url().default('http://localhost:3000/account'),
    // Empty counts as unset (docker-compose passes `${SMTP_URL:-}` through).
    SMTP_URL: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string()
        .url()
        .refine((v) => /^smtps?:\/\//.test(v), 'SMTP_URL must start with smtp:// or smtps://')
        .optional(),
    ),
    MAIL_FROM: z.string().min(3).default('Console <no-reply@console.localhost>'),
    MAIL_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  });
  const base = parseOrThrow(schema, env, name) as Record<string, unknown>;
  const bus = parseOrThrow(eventBusSchema, env, `${name} event bus`);
  const databaseUrl = (base[`${upper}_DATABASE_URL`] as string | undefined) ?? (base.DATABASE_URL as string | undefined);
  if (!databaseUrl) throw new Error(`Invalid ${name} configuration: DATABASE_URL or ${upper}_DATABASE_URL is required`);
  const retentionUrl = base.AUDIT_RETENTION_DATABASE_URL as string | undefined;
  if (name === 'audit' && !retentionUrl && base.NODE_ENV === 'production') {
    throw new Error('Invalid audit configuration: AUDIT_RETENTION_DATABASE_URL is required in production (the retention job’s own role)');
  }
  return {
    name,
    env: base.NODE_ENV as SubgraphConfig['env'],
    logLevel: base.LOG_LEVEL as SubgraphConfig['logLevel'],
    host: base.HOST as string,
    port: base[`${upper}_PORT`] as number,
    databaseUrl,
    internalAuthSecret: base.INTERNAL_AUTH_SECRET as string,
    eventBus: { kind: bus.EVENT_BUS, natsUrl: bus.NATS_URL, natsStream: bus.NATS_STREAM },
    shutdownGraceMs: base.SHUTDOWN_GRACE_MS as number,
    dnsResolvers: (base.DNS_RESOLVERS as string).split(',').map((s) => s.trim()).filter(Boolean),
    secretScanningKeysUrl: base.SECRET_SCANNING_KEYS_URL as string,
    otlpEndpoint: base.OTEL_EXPORTER_OTLP_ENDPOINT as string | undefined,
    mail: { smtpUrl: base.SMTP_URL as string | undefined, from: base.MAIL_FROM as string, pollMs: base.MAIL_POLL_MS as number },
    ...(name === 'billing' ? { billing: loadBillingConfig(env) } : {}),
    ...(name === 'audit'
      ? {
          auditRetentionDays: base.AUDIT_RETENTION_DAYS as number,
          auditRequestBodies: base.AUDIT_REQUEST_BODIES === 'true',
          auditRetentionDatabaseUrl: retentionUrl ?? auditRetentionUrl(databaseUrl),
        }
      : {}),
    ...(name === 'identity'
      ? {
          identitySecretKey: base.IDENTITY_SECRET_KEY as string | undefined,
          identityPurgeIntervalMs: base.IDENTITY_PURGE_INTERVAL_MS as number,
          identityOAuth: loadOAuthProviders(env),
          identityAccountsUrl: base.PUBLIC_ACCOUNTS_URL as string,
        }
      : {}),
  };
}

export interface GatewayConfig {
  env: 'development' | 'production' | 'test';
  logLevel: z.infer<typeof logLevel>;
  host: string;
  port: number;
  internalAuthSecret: string;
  supergraphPath: string;
  subgraphUrls: Record<SubgraphName, string>;
  shutdownGraceMs: number;
  /** How often open WebSocket sessions are re-checked (revocation closes them within this). */
  wsRevalidateMs?: number;
  /** Shared rate-limit counters for several gateway replicas; in memory when absent. */
  redisUrl?: string;
  /** Browser origins allowed by CORS (none: same origin only). */
  corsOrigins?: string[];
  /** Addresses of reverse proxies whose X-Forwarded-For names the client (TRUSTED_PROXIES; none: the peer is the client). */
  trustedProxies?: string[];
  /** Operations per minute per signed-in principal, per anonymous IP, cost per minute, sign-in attempts per IP. */
  rateLimits?: { operationsPerPrincipal: number; operationsPerIp: number; costPerWindow: number; sensitivePerIp: number; windowMs: number };
  /** Management keys may send only operations from the trusted-documents manifest. */
  trustedDocumentsForKeys?: boolean;
  trustedDocumentsPath?: string;
  /** OTLP/HTTP endpoint traces are exported to; none when absent. */
  otlpEndpoint?: string;
  /** Longest time an HTTP operation may take before the client gets a 504. */
  requestTimeoutMs?: number;
  /** Service tokens of usage reporters (inference servers), from USAGE_REPORTER_TOKENS. */
  usageReporterTokens?: string[];
  /**
   * Where the gateway publishes its record of every operation for the audit log: the same bus
   * the subgraphs use (NATS, or PostgreSQL through `databaseUrl`). Absent: nothing is recorded.
   */
  operationLog?: { eventBus: EventBusConfig; databaseUrl?: string; batchSize: number; waitMs: number };
}

export function loadGatewayConfig(env: Environment): GatewayConfig {
  const url = z.string().url();
  const schema = z.object({
    NODE_ENV: nodeEnv,
    LOG_LEVEL: logLevel,
    HOST: z.string().default('127.0.0.1'),
    GATEWAY_PORT: port.default(defaultPorts.gateway),
    INTERNAL_AUTH_SECRET: secret,
    SUPERGRAPH_PATH: z.string().default('schema/supergraph.graphql'),
    IDENTITY_URL: url.default(`http://127.0.0.1:${defaultPorts.identity}/graphql`),
    TEAM_URL: url.default(`http://127.0.0.1:${defaultPorts.team}/graphql`),
    BILLING_URL: url.default(`http://127.0.0.1:${defaultPorts.billing}/graphql`),
    AUDIT_URL: url.default(`http://127.0.0.1:${defaultPorts.audit}/graphql`),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
    WS_REVALIDATE_MS: z.coerce.number().int().min(100).default(2000),
    REDIS_URL: z.string().optional(),
    CORS_ORIGINS: z.string().default(''),
    TRUSTED_PROXIES: z
      .string()
      .default('')
      .transform((v) => v.split(',').map((t) => t.trim()).filter(Boolean))
      .pipe(z.array(z.ipv4().or(z.ipv6()))),
    RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(1000).default(60_000),
    RATE_LIMIT_PRINCIPAL_OPS: z.coerce.number().int().min(1).default(1200),
    RATE_LIMIT_IP_OPS: z.coerce.number().int().min(1).default(300),
    RATE_LIMIT_COST: z.coerce.number().int().min(1).default(200_000),
    RATE_LIMIT_SIGN_IN_PER_IP: z.coerce.number().int().min(1).default(30),
    TRUSTED_DOCUMENTS_FOR_KEYS: z.enum(['true', 'false']).default('true'),
    TRUSTED_DOCUMENTS_PATH: z.string().default('schema/trusted-documents.json'),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
    USAGE_REPORTER_TOKENS: z
      .string()
      .default('')
      .transform((v) => v.split(',').map((t) => t.trim()).filter(Boolean))
      .pipe(z.array(z.string().min(32, 'each of USAGE_REPORTER_TOKENS must be at least 32 characters'))),
    DATABASE_URL: z.string().optional(),
    OPERATION_LOG_BATCH: z.coerce.number().int().min(1).max(1000).default(100),
    OPERATION_LOG_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  });
  const c = parseOrThrow(schema, env, 'gateway');
  const bus = parseOrThrow(eventBusSchema, env, 'gateway event bus');
  // The operation log needs a bus: NATS, or the PostgreSQL log through DATABASE_URL.
  const busReachable = bus.EVENT_BUS === 'nats' || !!c.DATABASE_URL;
  if (!busReachable && c.NODE_ENV === 'production') {
    throw new Error('Invalid gateway configuration: DATABASE_URL (or EVENT_BUS=nats with NATS_URL) is required to record operations in the audit log');
  }
  return {
    env: c.NODE_ENV,
    logLevel: c.LOG_LEVEL,
    host: c.HOST,
    port: c.GATEWAY_PORT,
    internalAuthSecret: c.INTERNAL_AUTH_SECRET,
    supergraphPath: c.SUPERGRAPH_PATH,
    subgraphUrls: { identity: c.IDENTITY_URL, team: c.TEAM_URL, billing: c.BILLING_URL, audit: c.AUDIT_URL },
    shutdownGraceMs: c.SHUTDOWN_GRACE_MS,
    wsRevalidateMs: c.WS_REVALIDATE_MS,
    redisUrl: c.REDIS_URL,
    corsOrigins: c.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    trustedProxies: c.TRUSTED_PROXIES,
    rateLimits: {
      windowMs: c.RATE_LIMIT_WINDOW_MS,
      operationsPerPrincipal: c.RATE_LIMIT_PRINCIPAL_OPS,
      operationsPerIp: c.RATE_LIMIT_IP_OPS,
      costPerWindow: c.RATE_LIMIT_COST,
      sensitivePerIp: c.RATE_LIMIT_SIGN_IN_PER_IP,
    },
    trustedDocumentsForKeys: c.TRUSTED_DOCUMENTS_FOR_KEYS === 'true',
    trustedDocumentsPath: c.TRUSTED_DOCUMENTS_PATH,
    otlpEndpoint: c.OTEL_EXPORTER_OTLP_ENDPOINT,
    requestTimeoutMs: c.REQUEST_TIMEOUT_MS,
    usageReporterTokens: c.USAGE_REPORTER_TOKENS,
    operationLog: busReachable
      ? {
          eventBus: { kind: bus.EVENT_BUS, natsUrl: bus.NATS_URL, natsStream: bus.NATS_STREAM },
          databaseUrl: c.DATABASE_URL,
          batchSize: c.OPERATION_LOG_BATCH,
          waitMs: c.OPERATION_LOG_WAIT_MS,
        }
      : undefined,
  };
}
