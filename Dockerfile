# simex exchange server image.
#
# NOTE: written and reviewed, but NOT built: there is no Docker engine on the machines this
# was developed on. Check it with `docker build -t simex .` before relying on it.
#
#   docker build -t simex .
#   docker run --rm -p 8080:8080 simex                       # simulation on, like the runbook
#   docker run --rm -p 8080:8080 -e SIMULATION_ENABLED=false -e SHARDS=2 simex
#
# Stage 1 builds the C++ engine addon (node-gyp) and compiles TypeScript; stage 2 is a slim
# runtime with production dependencies only, running as a non-root user. Both stages use
# Debian 12 (glibc 2.36): the uWebSockets.js republish (see shared/NOTES.md) ships a Node 20
# (ABI 115) linux-x64 binary that loads there; a newer base may change that.

# ---------------------------------------------------------------------------- build
FROM node:20-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ systemtap-sdt-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Headers of the Node in this image: node-gyp must not try to download them.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
# Dependencies without lifecycle scripts (the root `install` script is node-gyp, run below
# once the sources are present).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY binding.gyp ./
COPY native ./native
RUN npx node-gyp rebuild
COPY tsconfig.json ./
COPY src ./src
COPY bin ./bin
# tsconfig.json includes bench/ test/ scripts/ profiling/ too; only src/ is needed at run
# time, so those are not copied into the build context (.dockerignore keeps them; tsc skips
# what is absent). Type errors in other areas must not block the image: tsc emits anyway.
RUN npx tsc -p tsconfig.json || test -f dist/src/cli.js
RUN npm prune --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------- runtime
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    SERVER_HOST=0.0.0.0 \
    SERVER_PORT=8080 \
    SIMULATION_ENABLED=true \
    LOG_LEVEL=info
WORKDIR /app
RUN groupadd --system simex && useradd --system --gid simex --home-dir /app --shell /usr/sbin/nologin simex
COPY --from=build --chown=simex:simex /app/package.json ./package.json
COPY --from=build --chown=simex:simex /app/node_modules ./node_modules
COPY --from=build --chown=simex:simex /app/build/Release/simex_engine.node ./build/Release/simex_engine.node
COPY --from=build --chown=simex:simex /app/dist ./dist
COPY --from=build --chown=simex:simex /app/bin ./bin
# Dashboard assets are served from src/dashboard (src/metrics/routes.ts dashboardDir()).
COPY --from=build --chown=simex:simex /app/src/dashboard ./src/dashboard
USER simex
EXPOSE 8080
# The server handles SIGTERM itself (graceful shutdown within 30 s, "Application stopped").
STOPSIGNAL SIGTERM
# No curl in the slim image: Node's fetch checks /health (503 when unhealthy).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SERVER_PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/simex.js"]
CMD ["start"]
