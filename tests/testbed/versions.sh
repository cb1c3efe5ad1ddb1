# shellcheck shell=bash
# Pinned versions of the test control plane. Sourced by every testbed script.
# Changing one of these changes the cache directory, so the next build.sh rebuilds.
KDRIFT_K8S_VERSION=${KDRIFT_K8S_VERSION:-v1.36.5}   # k8s.io/kubernetes (staging modules at v0.36.5)
KDRIFT_ETCD_VERSION=${KDRIFT_ETCD_VERSION:-v3.6.16} # go.etcd.io/etcd/server/v3
KDRIFT_KWOK_VERSION=${KDRIFT_KWOK_VERSION:-v0.8.0}  # sigs.k8s.io/kwok
KDRIFT_HELM_VERSION=${KDRIFT_HELM_VERSION:-v3.22.0} # helm.sh/helm/v3 (a client tool for tests; own cache dir)

KDRIFT_TESTBED_CACHE=${KDRIFT_TESTBED_CACHE:-$HOME/.cache/kdrift-testbed}
KDRIFT_TESTBED_BIN=${KDRIFT_TESTBED_BIN:-$KDRIFT_TESTBED_CACHE/$KDRIFT_K8S_VERSION-$KDRIFT_ETCD_VERSION-$KDRIFT_KWOK_VERSION/bin}
# helm has a cache dir of its own, so that changing its version does not rebuild Kubernetes (~10 min).
KDRIFT_HELM_BIN=${KDRIFT_HELM_BIN:-$KDRIFT_TESTBED_CACHE/helm-$KDRIFT_HELM_VERSION/bin}
KDRIFT_TESTBED_DIR=${KDRIFT_TESTBED_DIR:-/tmp/kdrift-testbed}
# The GitOps tools' CRDs (no controllers): installed by the tests that check kdrift recognises
# objects Flux and Argo CD own. Read from the tools' Go module zips; own cache dir.
KDRIFT_FLUX_KC_VERSION=${KDRIFT_FLUX_KC_VERSION:-v1.10.1}  # github.com/fluxcd/kustomize-controller
KDRIFT_FLUX_HC_VERSION=${KDRIFT_FLUX_HC_VERSION:-v1.4.3}   # github.com/fluxcd/helm-controller
KDRIFT_FLUX_SC_VERSION=${KDRIFT_FLUX_SC_VERSION:-v1.10.1}  # github.com/fluxcd/source-controller
KDRIFT_ARGOCD_VERSION=${KDRIFT_ARGOCD_VERSION:-v3.6.1}     # github.com/argoproj/argo-cd/v3
KDRIFT_GITOPS_CRDS=${KDRIFT_GITOPS_CRDS:-$KDRIFT_TESTBED_CACHE/gitops-crds-$KDRIFT_FLUX_KC_VERSION-$KDRIFT_FLUX_HC_VERSION-$KDRIFT_FLUX_SC_VERSION-$KDRIFT_ARGOCD_VERSION}
# Observability components the metrics tests run (observability.sh); own cache dir, by version.
KDRIFT_PROMETHEUS_VERSION=${KDRIFT_PROMETHEUS_VERSION:-v0.316.0}  # github.com/prometheus/prometheus (Prometheus 3.16)
KDRIFT_PROMETHEUS_BIN=${KDRIFT_PROMETHEUS_BIN:-$KDRIFT_TESTBED_CACHE/prometheus-$KDRIFT_PROMETHEUS_VERSION/bin}
KDRIFT_JAEGER_VERSION=${KDRIFT_JAEGER_VERSION:-v1.76.0}  # github.com/jaegertracing/jaeger (cmd/jaeger: Jaeger v2)
KDRIFT_JAEGER_BIN=${KDRIFT_JAEGER_BIN:-$KDRIFT_TESTBED_CACHE/jaeger-$KDRIFT_JAEGER_VERSION/bin}
# Later Alertmanagers embed UI assets a module build lacks: v0.28.1 is the newest that builds so.
KDRIFT_ALERTMANAGER_VERSION=${KDRIFT_ALERTMANAGER_VERSION:-v0.28.1}  # github.com/prometheus/alertmanager
KDRIFT_ALERTMANAGER_BIN=${KDRIFT_ALERTMANAGER_BIN:-$KDRIFT_TESTBED_CACHE/alertmanager-$KDRIFT_ALERTMANAGER_VERSION/bin}
