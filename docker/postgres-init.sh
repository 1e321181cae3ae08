#!/bin/sh
# Runs once, when the postgres container starts on an empty data directory
# (/docker-entrypoint-initdb.d). Each subgraph gets its own login role owning a schema of the
# same name, so one subgraph cannot read or change another's tables; all of them share the
# `eventbus` schema used when EVENT_BUS=postgres.
# No `set -u` or `exit`: the image's entrypoint may source this file instead of executing it.
set -e

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" \
  -v identity_password="${IDENTITY_DB_PASSWORD:?IDENTITY_DB_PASSWORD is not set}" \
  -v team_password="${TEAM_DB_PASSWORD:?TEAM_DB_PASSWORD is not set}" \
  -v billing_password="${BILLING_DB_PASSWORD:?BILLING_DB_PASSWORD is not set}" \
  -v audit_password="${AUDIT_DB_PASSWORD:?AUDIT_DB_PASSWORD is not set}" \
  -v audit_retention_password="${AUDIT_RETENTION_DB_PASSWORD:?AUDIT_RETENTION_DB_PASSWORD is not set}" \
  <<'SQL'
-- psql variables (:'x' literal, :"x" identifier) quote the values, so any password is safe.
CREATE ROLE identity LOGIN PASSWORD :'identity_password';
CREATE ROLE team LOGIN PASSWORD :'team_password';
CREATE ROLE billing LOGIN PASSWORD :'billing_password';
CREATE ROLE audit LOGIN PASSWORD :'audit_password';
-- The audit retention job's role: the only one the audit trigger lets delete audit rows (and only
-- past the retention period). The audit migration grants it what it needs.
CREATE ROLE audit_retention LOGIN PASSWORD :'audit_retention_password';

-- Only the service roles may connect. CREATE on the database is needed because every
-- subgraph runs `CREATE SCHEMA IF NOT EXISTS` for its own schema (and for eventbus) at start-up,
-- and PostgreSQL checks that privilege even when the schema already exists.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, CREATE ON DATABASE :"db" TO identity, team, billing, audit;
GRANT CONNECT ON DATABASE :"db" TO audit_retention;

CREATE SCHEMA identity AUTHORIZATION identity;
CREATE SCHEMA team AUTHORIZATION team;
CREATE SCHEMA billing AUTHORIZATION billing;
CREATE SCHEMA audit AUTHORIZATION audit;

-- Unqualified names resolve to the role's own schema, never to `public`.
ALTER ROLE identity SET search_path = identity;
ALTER ROLE team SET search_path = team;
ALTER ROLE billing SET search_path = billing;
ALTER ROLE audit SET search_path = audit;

-- The shared event log. Whichever subgraph starts first creates its tables (and owns them);
-- the default privileges let every other subgraph read and append to them.
CREATE SCHEMA eventbus;
GRANT USAGE, CREATE ON SCHEMA eventbus TO identity, team, billing, audit;
ALTER DEFAULT PRIVILEGES FOR ROLE identity, team, billing, audit IN SCHEMA eventbus
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO identity, team, billing, audit;
ALTER DEFAULT PRIVILEGES FOR ROLE identity, team, billing, audit IN SCHEMA eventbus
  GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO identity, team, billing, audit;
SQL
