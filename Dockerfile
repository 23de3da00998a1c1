# One image for every Merak component on Kubernetes (deploy/): controller, compute worker,
# reference plugin and node agent; the component is chosen by the arguments (`merak ...`).
#   docker build -t merak:latest .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY proto ./proto
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# What the agent runs inside its pod: ip (namespaces, veth, bridge, VXLAN), ping and iperf3 for
# the traffic tests, the standard CNI plugins for the `cni` dataplane, python3 for the helpers
# (helpers/*.py: setns and rtnetlink, which Node cannot do); tini reaps the children.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 iputils-ping iperf3 containernetworking-plugins python3 tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY proto ./proto
COPY plugins ./plugins
COPY helpers ./helpers
RUN ln -s /app/bin/merak.js /usr/local/bin/merak && mkdir -p /var/lib/merak
ENTRYPOINT ["/usr/bin/tini", "--", "merak"]
CMD ["--help"]
