/**
 * Imported first by benches: libraries (graphql-js among them) skip their development-only
 * checks under NODE_ENV=production, as deployments run them (Dockerfile, docker-compose). The
 * services' own configuration is built by the test support, not read from the environment.
 */
process.env.NODE_ENV = 'production';
