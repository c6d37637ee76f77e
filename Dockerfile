# Lineup images. `docker build .` gives the app (the last stage); the compose file's nginx is the
# `web` stage.
# The app: builds the SDK, the server and the page, then runs dist/main.js.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY client-sdk/package.json client-sdk/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

# nginx in front of the instances, serving the page's precompressed assets itself. Debian's nginx:
# gzip_static is built in and Debian packages the brotli_static module (the official nginx image
# has gzip_static but no brotli module).
FROM debian:bookworm-slim AS web
RUN apt-get update \
  && apt-get install -y --no-install-recommends nginx libnginx-mod-http-brotli-static \
  && rm -rf /var/lib/apt/lists/* \
  && ln -sf /dev/stdout /var/log/nginx/access.log \
  && ln -sf /dev/stderr /var/log/nginx/error.log
COPY --from=build /app/dist/web/assets /usr/share/lineup/web/assets
COPY deploy/nginx.conf /etc/nginx/nginx.conf
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
EXPOSE 3000
CMD ["node", "dist/main.js"]
