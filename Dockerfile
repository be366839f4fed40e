# syntax=docker/dockerfile:1
# Gatehouse: multi-stage build on the current Node.js LTS slim image; the final image holds only
# the compiled JavaScript and production dependencies, and runs as a non-root numeric user (so
# Kubernetes can verify runAsNonRoot).

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The dashboard's diagnostics help page is made from this file (npm run build copies it into dist).
COPY docs/diagnostics.md ./docs/diagnostics.md
# The "node" package (a devDependency) pins Node for development; the image has Node 24 itself.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Root-owned files, numeric non-root user: the process cannot modify its own code.
USER 1000:1000
EXPOSE 8080 8443 9090
# `serve` re-executes itself once with --max-semi-space-size, --heap-growing-percent and
# MALLOC_ARENA_MAX (its memory bound,
# docs/dataplane.md#memory); NODE_OPTIONS=--max-semi-space-size=N in the pod chooses another bound.
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]
