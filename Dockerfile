# taxii-exchange: build the TypeScript, then run the compiled server on Node 20.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM node:20-bookworm-slim
ENV NODE_ENV=production TAXII_HOST=0.0.0.0 TAXII_PORT=8000 TAXII_DATA_DIR=/var/lib/taxii-exchange
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
COPY migrations ./migrations
COPY config ./config
COPY bin ./bin
RUN ln -s /app/bin/taxii-exchange /usr/local/bin/taxii-exchange \
  && mkdir -p /var/lib/taxii-exchange && chown node:node /var/lib/taxii-exchange
USER node
EXPOSE 8000
CMD ["node", "--max-old-space-size=160", "dist/src/server.js"]
