# taxii-exchange: build the TypeScript in one stage, run the compiled server in
# another with production dependencies only, as user node, on Node.js 24 LTS.
# The embedded database lives in the volume; give it your configuration
# (TAXII_CONFIG): without one, the demo configuration is refused on 0.0.0.0
# unless TAXII_DEMO=1. README "Docker".
FROM node:24.11.1-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY console ./console
RUN npm run build

FROM node:24.11.1-bookworm-slim
ENV NODE_ENV=production MALLOC_ARENA_MAX=2 TAXII_HOST=0.0.0.0 TAXII_PORT=8000 TAXII_DATA_DIR=/var/lib/taxii-exchange
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
COPY migrations ./migrations
COPY config ./config
COPY bin ./bin
COPY openapi.yaml ./
RUN ln -s /app/bin/taxii-exchange /usr/local/bin/taxii-exchange \
  && mkdir -p /var/lib/taxii-exchange && chown node:node /var/lib/taxii-exchange
USER node
VOLUME /var/lib/taxii-exchange
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=6s --start-period=60s --retries=3 CMD ["node", "bin/healthcheck.mjs"]
CMD ["node", "--max-old-space-size=160", "--max-semi-space-size=4", "--liftoff-only", "dist/src/server.js"]
