# The warden image: workers, CLI and the operator bot share it.
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# The CLI build (`prepare`) needs the sources: it runs after the COPY below.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY . .
RUN node bin/build-cli.mjs
USER node
ENTRYPOINT ["node", "bin/warden.js"]
