# One image for every Merak component on Kubernetes (deploy/): controller, compute worker,
# reference plugin and node agent; the component is chosen by the arguments (`merak ...`).
#
# With a registry (the base is pulled):
#   docker build -t merak:latest .          (or: podman build -t merak:latest .)
# Without one, on a base made locally from Debian packages and the npm registry's Node.js
# (what CI does; docs/kubernetes.md):
#   bash scripts/build-image.sh
#
# BASE: a Debian bookworm image with Node.js 20 and npm at /usr/local/bin. The runtime packages
# of image/runtime-packages.txt that it lacks are installed with apt; a base that has them all
# (scripts/build-image.sh makes one) needs no network for that step.
ARG BASE=docker.io/library/node:20-bookworm-slim

FROM ${BASE} AS build
# Set only for this stage (scripts/build-image.sh points it at the host's CA bundle, mounted
# for the build): npm behind a TLS-inspecting proxy. Not part of the final image.
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/merak-cli/package.json ./packages/merak-cli/
# --ignore-scripts: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund
# Temporal's native bridge ships prebuilt for five platforms (about 27 MB each); keep the one
# its own loader picks on this platform (getPrebuiltPath), and fail the build if there is none.
RUN node -e ' \
  const fs = require("node:fs"), path = require("node:path"); \
  const keep = path.dirname(require("/app/node_modules/@temporalio/core-bridge/common.js").getPrebuiltPath()); \
  const releases = path.dirname(keep); \
  for (const d of fs.readdirSync(releases)) if (path.join(releases, d) !== keep) fs.rmSync(path.join(releases, d), { recursive: true }); \
  console.log("kept", path.relative("/app", keep));'

# The eBPF collector (collector/, docs/observability.md): built here with the tools of
# scripts/provide-collector.sh, only its binary goes into the image. CO-RE: compiled against the
# build host's kernel BTF (/sys/kernel/btf/vmlinux), relocated by libbpf at load for the node's.
FROM ${BASE} AS collector
RUN apt-get update && apt-get install -y --no-install-recommends clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY collector ./collector
COPY scripts/provide-collector.sh ./scripts/
RUN install -m 0755 "$(bash scripts/provide-collector.sh)" /merak-collector

FROM ${BASE}
# What the agent runs inside its pod (image/runtime-packages.txt says why each is there).
COPY image/runtime-packages.txt /tmp/runtime-packages.txt
RUN set -eu; \
    wanted="$(sed -e 's/#.*//' /tmp/runtime-packages.txt | tr -s ' \n' '  ')"; \
    missing=""; \
    for p in $wanted; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"; done; \
    if [ -n "$missing" ]; then \
      apt-get update && apt-get install -y --no-install-recommends $missing && rm -rf /var/lib/apt/lists/*; \
    fi; \
    rm /tmp/runtime-packages.txt
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# Read at run time: the plugin protocol's .proto files, the shipped endpoint plugins, and the
# Python helpers the agent runs in its namespaces (helpers/*.py: setns and rtnetlink, which Node
# cannot do), all found at the package root (the package.json named merak).
COPY proto ./proto
COPY plugins ./plugins
COPY helpers ./helpers
# Where the agent looks for the collector when MERAK_COLLECTOR is not set (src/dataplane/collector.ts).
COPY --from=collector /merak-collector ./.tools/collector/merak-collector
RUN ln -s /app/bin/merak.js /usr/local/bin/merak && mkdir -p /var/lib/merak
ENTRYPOINT ["/usr/bin/tini", "--", "merak"]
CMD ["--help"]
