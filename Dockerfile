# nango-replicator: `docker build -t nango-replicator .`, then `docker run --env-file .env nango-replicator`
# (default command: `worker`; `docker run ... nango-replicator status` runs another command).
# Three stages: compile with the dev dependencies, install the runtime ones, copy both into a small final image that
# runs as the unprivileged `node` user under tini, so SIGTERM reaches node and the worker drains before it exits.
# A side stage, `stand-in`, runs the project's Nango stand-in for `docker compose --profile demo`; it is built only
# when asked for (--target stand-in), and the final image holds neither it nor the dev dependencies.
# Node 24, an LTS line supported until April 2028 (Node 20 reached its end of life in April 2026); the code also runs
# on Node 20.11+ and 22 (package.json engines). The Nango stand-in and the demo live outside src/ (stand-in/, demo/):
# tsconfig.build.json compiles only src, workers and migrations, so dist/ holds neither.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the build runs explicitly below.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
COPY migrations ./migrations
COPY scripts ./scripts
# The Nango stand-in, for the `stand-in` side stage below only: tsconfig.build.json leaves it out of dist/.
COPY stand-in ./stand-in
# tsc, then the .lua scripts next to the compiled modules that read them (see "build" in package.json).
RUN npm run build

# The Nango stand-in with sample data (scripts/stand-in.ts, from the sources with tsx): a test double for trying the
# worker, never part of the product image. `docker build --target stand-in .`; see the demo profile of docker-compose.yml.
FROM build AS stand-in
USER node
EXPOSE 3003
ENTRYPOINT ["node", "--import", "tsx", "scripts/stand-in.ts", "--host", "0.0.0.0", "--no-write-config"]
CMD ["--port", "3003"]

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM node:24-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
# PORT: the public door (webhooks, health). ADMIN_PORT: the admin door (status page, /metrics), bound to ADMIN_HOST,
# 127.0.0.1 by default: set ADMIN_HOST=0.0.0.0 (and ADMIN_TOKEN) to reach it from outside the container.
ENV NODE_ENV=production \
    PORT=8080 \
    ADMIN_PORT=9464
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root config ./config
USER node
EXPOSE 8080 9464
# Liveness only: readiness (/readyz) is for orchestrators that route traffic or pace rollouts.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Must stay above worker.shutdownTimeout (25 s by default): set `docker stop -t 30` / stop_grace_period: 30s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/workers/cli.js"]
CMD ["worker"]
