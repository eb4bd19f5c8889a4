# syntax=docker/dockerfile:1
# mailpanel: `docker compose up` (docker-compose.yml) builds this. Three stages: the production
# dependencies, the build (TypeScript to dist/ with the dev dependencies), and the image, which holds
# only dist/, the scanner's native addon, the production node_modules, views/, public/ and deploy/
# (no tests, no benches, no sources, no compiler).

# Node 26: the active LTS line.
FROM node:26-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` builds, which needs the dev dependencies (next stage).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:26-bookworm-slim AS build
# A compiler for the scanner's addon (native/maildir_fs.c, Node-API: one build runs on any later Node).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY binding.gyp ./
COPY native native
RUN npm run install
COPY tsconfig.json tsconfig.build.json ./
COPY server server
COPY jobs jobs
COPY db db
COPY deploy deploy
RUN npm run build

FROM node:26-bookworm-slim
# tini as PID 1: signals reach node (SIGTERM is a graceful stop) and exited children are reaped.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --chown=root:root package.json ./
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/build/Release/maildir_fs.node build/Release/maildir_fs.node
COPY views views
COPY public public
COPY deploy deploy
USER node
EXPOSE 8080 10031
# Ready means PostgreSQL and Redis answer (/readyz); the SMTP relay is reported there but does not fail it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# Migrations run at start by default; with MIGRATE_ON_START=false run `node dist/server/cli/main.js migrate` as a step of its own.
CMD ["node", "--enable-source-maps", "dist/server/main.js"]
