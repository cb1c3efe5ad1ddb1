#!/usr/bin/env bash
# Starts the test control plane on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kwok (two fake Nodes; Deployments get Running pods; `kubectl logs` works).
# Needs the binaries from build.sh. State goes to $KDRIFT_TESTBED_DIR (default /tmp/kdrift-testbed):
#   env                 variables for tests: `source "$KDRIFT_TESTBED_DIR/env"`
#   admin.kubeconfig    context kdrift-testbed, user admin (system:masters)
#   alice.kubeconfig    context kdrift-alice, user alice: get/list/watch configmaps+deployments in default only
#   logs/NAME.log       each process's output
# Idempotent: if the testbed in that dir is up and healthy it says so and exits 0; leftovers
# of a dead one are cleaned up first (down.sh).
set -euo pipefail
_t0=$SECONDS
# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

[[ $DIR != *[[:space:]]* ]] || die "KDRIFT_TESTBED_DIR must not contain whitespace: '$DIR'"
command -v openssl >/dev/null || die "openssl is not installed (apt-get install openssl)"
command -v setsid >/dev/null || die "setsid is not installed (apt-get install util-linux)"
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok kubectl; do
  [[ -x $BIN/$b ]] || die "$BIN/$b is missing: run tests/testbed/build.sh first"
done
[[ -x $HELM_BIN/helm ]] || die "$HELM_BIN/helm is missing: run tests/testbed/build.sh first"
STAGES=$(dirname "$BIN")/kwok-stages
[[ -f $STAGES/pod-ready.yaml ]] || die "kwok stages missing in $STAGES: run tests/testbed/build.sh first"

# env_line KEY VALUE: `export KEY=VALUE`, quoted only when VALUE has characters a shell would
# interpret, so the file is both sourceable and trivially parseable.
env_line() {
  if [[ $2 =~ ^[A-Za-z0-9_./:,=@+-]*$ ]]; then printf 'export %s=%s\n' "$1" "$2"
  else printf 'export %s=%q\n' "$1" "$2"; fi
}
# tool_env_lines: the testbed's client tools, by absolute path and on PATH.
tool_env_lines() {
  env_line KDRIFT_KUBECTL "$BIN/kubectl"
  env_line KDRIFT_HELM "$HELM_BIN/helm"
  env_line KDRIFT_TESTBED_HELM_VERSION "$KDRIFT_HELM_VERSION"
  env_line KDRIFT_GITOPS_CRDS "$KDRIFT_GITOPS_CRDS"
  env_line KDRIFT_PROMETHEUS "$KDRIFT_PROMETHEUS_BIN/prometheus"
  env_line KDRIFT_JAEGER "$KDRIFT_JAEGER_BIN/jaeger"
  env_line KDRIFT_ALERTMANAGER "$KDRIFT_ALERTMANAGER_BIN/alertmanager"
  # The one line that is not a plain KEY=VALUE: prepend both bin dirs so that `helm` and
  # `kubectl` are found by name after sourcing (a line parser should treat it as a prepend).
  # shellcheck disable=SC2016 # $PATH is meant to expand when the file is sourced
  if [[ $HELM_BIN == *:* || $BIN == *:* ]]; then
    say "WARNING: a bin dir contains ':', so env does not extend PATH; use KDRIFT_HELM / KDRIFT_KUBECTL"
  elif [[ $HELM_BIN:$BIN =~ ^[A-Za-z0-9_./:,=@+-]*$ ]]; then
    printf 'export PATH="%s:$PATH"\n' "$HELM_BIN:$BIN"
  else
    printf 'export PATH=%q:"$PATH"\n' "$HELM_BIN:$BIN"
  fi
}

# Already up?
if [[ -f $DIR/env ]]; then
  all=1
  for c in "${TESTBED_COMPONENTS[@]}"; do pid_of "$c" >/dev/null || all=0; done
  if ((all)) && apiserver_ready; then
    # An env written before the newest tool line was added lacks it: add the lines, keep the testbed.
    if ! grep -q '^export KDRIFT_ALERTMANAGER=' "$DIR/env"; then
      tool_env_lines >> "$DIR/env"
      say "added the tool lines (KDRIFT_KUBECTL, KDRIFT_HELM, KDRIFT_GITOPS_CRDS, KDRIFT_PROMETHEUS, KDRIFT_JAEGER, KDRIFT_ALERTMANAGER, PATH) to $DIR/env"
    fi
    say "already up in $DIR (run down.sh first for a fresh one)"
    exit 0
  fi
  say "found a stale testbed in $DIR; cleaning it up"
fi
if ! out=$("$testbed_here/down.sh" 2>&1); then
  printf '%s\n' "$out" >&2
  die "could not clean up $DIR before starting"
fi
mkdir -p "$DIR" "$PIDS" "$LOGS" "$PKI"
rm -f "$LOGS"/*.log

# On failure: stop whatever was started, so a failed up.sh leaves no processes behind.
# The logs stay in $LOGS for inspection.
cleanup_on_error() {
  local rc=$?
  if ((rc != 0)); then
    if [[ ! -f $PKI/sa.pub && -s $PKI/openssl.log ]]; then
      echo "----- $PKI/openssl.log -----" >&2; tail -n 30 "$PKI/openssl.log" >&2
    fi
    say "up.sh failed (exit $rc); stopping what was started. Logs are in $LOGS"
    for ((i = ${#TESTBED_COMPONENTS[@]} - 1; i >= 0; i--)); do stop "${TESTBED_COMPONENTS[i]}" 5; done
    rm -f "$DIR/env"
  fi
}
trap cleanup_on_error EXIT

# ---------------------------------------------------------------- certificates (openssl)
say "generating certificates in $PKI"
gen_certs() {
  # ECDSA P-256 for the CA and the TLS certs (key generation is ~40x faster than RSA-2048);
  # the service-account signing key stays RSA.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 3650 \
    -subj "/CN=kdrift-testbed-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  # cert NAME SUBJECT EXTENSIONS
  cert() {
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
    printf '%s\n' "$3" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile "$1.ext" -out "$1.crt"
    rm -f "$1.csr" "$1.ext"
  }
  client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
  cert serving "/CN=kdrift-testbed" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
  cert admin "/O=system:masters/CN=admin" "$client"
  cert alice "/CN=alice" "$client"
  cert controller-manager "/CN=system:kube-controller-manager" "$client"
  cert scheduler "/CN=system:kube-scheduler" "$client"
  cert kwok "/O=system:masters/CN=kwok" "$client"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"
  openssl genrsa -out sa.key 2048
  openssl rsa -in sa.key -pubout -out sa.pub
}
# errexit stays on here (no || or if around the call): a failing openssl ends up.sh, and
# cleanup_on_error prints openssl.log.
pushd "$PKI" >/dev/null
gen_certs 2> "$PKI/openssl.log"
popd >/dev/null

free_port SERVER_PORT
SERVER=https://127.0.0.1:$SERVER_PORT
# kubeconfig FILE CONTEXT USER CERTNAME: written directly (20 kubectl config calls cost ~3 s).
b64() { base64 < "$1" | tr -d '\n'; }
kubeconfig() {
  local f=$1 ctx=$2 user=$3 c=$4
  cat > "$f.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kdrift-testbed
  cluster:
    server: $SERVER
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(b64 "$PKI/$c.crt")
    client-key-data: $(b64 "$PKI/$c.key")
contexts:
- name: $ctx
  context:
    cluster: kdrift-testbed
    user: $user
    namespace: default
current-context: $ctx
preferences: {}
EOF
  chmod 600 "$f.tmp"
  mv "$f.tmp" "$f"
}
kubeconfig "$DIR/admin.kubeconfig" kdrift-testbed admin admin
kubeconfig "$DIR/alice.kubeconfig" kdrift-alice alice alice
kubeconfig "$DIR/controller-manager.kubeconfig" kdrift-testbed system:kube-controller-manager controller-manager
kubeconfig "$DIR/scheduler.kubeconfig" kdrift-testbed system:kube-scheduler scheduler
kubeconfig "$DIR/kwok.kubeconfig" kdrift-testbed kwok kwok

# ---------------------------------------------------------------- etcd
free_port ETCD_PORT
free_port ETCD_PEER_PORT
say "starting etcd on 127.0.0.1:$ETCD_PORT"
start etcd \
  --name=kdrift-testbed \
  --data-dir="$DIR/etcd-data" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="kdrift-testbed=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync=true \
  --quota-backend-bytes=2147483648 \
  --log-level=warn
wait_for etcd 30 "etcd /health" http_ok "$ETCD_PORT" /health
say "etcd is healthy"

# ---------------------------------------------------------------- kube-apiserver
say "starting kube-apiserver on $SERVER"
start kube-apiserver \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --secure-port="$SERVER_PORT" \
  --tls-cert-file="$PKI/serving.crt" \
  --tls-private-key-file="$PKI/serving.key" \
  --client-ca-file="$PKI/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" \
  --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --authorization-mode=RBAC \
  --endpoint-reconciler-type=none \
  --allow-privileged=true \
  --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
  --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP \
  --profiling=false \
  --shutdown-watch-termination-grace-period=5s   # without it SIGTERM hangs >30s on open watches
wait_for kube-apiserver 90 "kube-apiserver /readyz" apiserver_ready
say "kube-apiserver is ready"

# ---------------------------------------------------------------- RBAC for the restricted user
kubectl_admin apply -f - >/dev/null <<'EOF' || fail_with_log kube-apiserver "could not create alice's Role/RoleBinding"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: kdrift-alice-read
  namespace: default
rules:
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: kdrift-alice-read
  namespace: default
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: kdrift-alice-read
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: alice
EOF

# ---------------------------------------------------------------- controller-manager, scheduler
free_port KCM_PORT
say "starting kube-controller-manager (healthz on 127.0.0.1:$KCM_PORT)"
start kube-controller-manager \
  --kubeconfig="$DIR/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$DIR/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$DIR/controller-manager.kubeconfig" \
  --leader-elect=false \
  --bind-address=127.0.0.1 \
  --secure-port="$KCM_PORT" \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" \
  --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" \
  --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --profiling=false

free_port SCHED_PORT
say "starting kube-scheduler (healthz on 127.0.0.1:$SCHED_PORT)"
start kube-scheduler \
  --kubeconfig="$DIR/scheduler.kubeconfig" \
  --authentication-kubeconfig="$DIR/scheduler.kubeconfig" \
  --authorization-kubeconfig="$DIR/scheduler.kubeconfig" \
  --leader-elect=false \
  --bind-address=127.0.0.1 \
  --secure-port="$SCHED_PORT" \
  --profiling=false

# ---------------------------------------------------------------- kwok: fake nodes, pod lifecycle, logs
# A CRI-format container log that `kubectl logs` returns for every pod (kwok ClusterLogs).
{
  for i in 1 2 3 4 5; do
    printf '2026-01-01T00:00:0%d.000000000Z stdout F kdrift-testbed log line %d\n' "$i" "$i"
  done
  printf '2026-01-01T00:00:06.000000000Z stderr F kdrift-testbed stderr line\n'
} > "$DIR/pod.log"
{
  # Stage objects copied from the kwok module by build.sh (kustomize/stage/{node,pod}).
  for s in node-initialize node-heartbeat-with-lease pod-ready pod-complete pod-delete; do
    echo "---"
    cat "$STAGES/$s.yaml"
  done
  cat <<EOF
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: kdrift-testbed-logs
spec:
  logs:
  - logsFile: $DIR/pod.log
    follow: false
EOF
} > "$DIR/kwok.yaml"

free_port KWOK_PORT
say "starting kwok (kubelet API on 127.0.0.1:$KWOK_PORT)"
start kwok \
  --kubeconfig="$DIR/kwok.kubeconfig" \
  --config="$DIR/kwok.yaml" \
  --manage-all-nodes=true \
  --node-ip=127.0.0.1 \
  --node-port="$KWOK_PORT" \
  --server-address="127.0.0.1:$KWOK_PORT" \
  --tls-cert-file="$PKI/serving.crt" \
  --tls-private-key-file="$PKI/serving.key" \
  --node-lease-duration-seconds=40 \
  --cidr=10.244.0.0/16

NODES=(kwok-node-0 kwok-node-1)
for n in "${NODES[@]}"; do
  kubectl_admin apply -f - >/dev/null <<EOF || fail_with_log kube-apiserver "could not create Node $n"
apiVersion: v1
kind: Node
metadata:
  name: $n
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $n
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
spec: {}
EOF
done

# ---------------------------------------------------------------- readiness
wait_for kube-controller-manager 60 "kube-controller-manager /healthz" https_ok "$KCM_PORT" /healthz
wait_for kube-scheduler 60 "kube-scheduler /healthz" https_ok "$SCHED_PORT" /healthz
nodes_ready() {
  local out
  out=$(kubectl_admin get nodes -o 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')
  for n in "${NODES[@]}"; do [[ $out == *"$n=True"* ]] || return 1; done
}
say "kube-controller-manager and kube-scheduler are healthy"
wait_for kwok 60 "the kwok nodes to be Ready" nodes_ready
say "nodes ${NODES[*]} are Ready"
# Pods can only be created once the service-account controller made the "default" ServiceAccount.
wait_for kube-controller-manager 60 "ServiceAccount default/default" \
  kubectl_admin -n default get serviceaccount default

# ---------------------------------------------------------------- env
{
  echo "# Written by tests/testbed/up.sh on $(date -u +%FT%TZ). Use: source this file."
  env_line KDRIFT_TESTBED 1
  env_line KDRIFT_TESTBED_DIR "$DIR"
  env_line KDRIFT_TESTBED_BIN "$BIN"
  env_line KUBECONFIG_ADMIN "$DIR/admin.kubeconfig"
  env_line KUBECONFIG_ALICE "$DIR/alice.kubeconfig"
  env_line KDRIFT_TESTBED_CONTEXT_ADMIN kdrift-testbed
  env_line KDRIFT_TESTBED_CONTEXT_ALICE kdrift-alice
  env_line KDRIFT_TESTBED_SERVER "$SERVER"
  env_line KDRIFT_TESTBED_ETCD "http://127.0.0.1:$ETCD_PORT"
  env_line KDRIFT_TESTBED_K8S_VERSION "$KDRIFT_K8S_VERSION"
  env_line KDRIFT_TESTBED_NODES "$(IFS=,; echo "${NODES[*]}")"
  env_line KDRIFT_TESTBED_POD_LOG "$DIR/pod.log"
  for c in "${TESTBED_COMPONENTS[@]}"; do
    env_line "$(pid_var "$c")" "$(<"$PIDS/$c.pid")"
  done
  tool_env_lines
} > "$DIR/env"

trap - EXIT
say "up: $SERVER (k8s $KDRIFT_K8S_VERSION); source $DIR/env"
