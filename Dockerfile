# One image for every service: the gateway by default; compose picks a subgraph with `command`.
# Both stages use the same Debian base, so native modules built in one load in the other.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Manifests first: the dependency layer stays cached until they change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY subgraphs ./subgraphs
COPY gateway ./gateway
COPY scripts ./scripts
COPY codegen.ts ./
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and only read by the service: a compromised process cannot rewrite its own code.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The gateway reads schema/supergraph.graphql relative to the working directory (SUPERGRAPH_PATH).
COPY schema ./schema
USER node
EXPOSE 4000 4001 4002 4003 4004
CMD ["node", "dist/gateway/main.js"]
