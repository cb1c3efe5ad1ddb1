//! GitOps repos laid out as Argo CD and Flux users lay them out: the tool's own app definitions
//! beside the manifests, charts and kustomizations they point at, committed with a remote named
//! `origin` that the definitions' URLs name.

use crate::git::{commit_all, git, write_files};

/// The Argo CD repo's URL, as `origin` and as its Applications write it (without `.git`).
pub const ARGO_REPO_URL: &str = "https://github.com/example/platform.git";
/// The Flux repo's URL, as `origin`; its GitRepository writes it the ssh way.
pub const FLUX_REPO_URL: &str = "https://github.com/example/fleet";

fn application(name: &str, namespace: &str, source: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n{source}  destination:\n    server: https://kubernetes.default.svc\n    namespace: {namespace}\n  syncPolicy:\n    automated: {{}}\n"
    )
}

fn deployment(name: &str, image: &str, replicas: &str, labels: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\n{labels}spec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n        - name: {name}\n          image: {image}\n          ports:\n            - containerPort: 8080\n"
    )
}

/// An app of apps (`argocd/root.yaml` → `argocd/apps/`): a plain directory (`guestbook`, not
/// recursive: `apps/guestbook/tests/` is not deployed; its PreSync hook is no tracked object), a kustomize overlay with Argo CD's
/// kustomize options (`shop`), a chart with a release name, a values file and inline values
/// (`web`, release `web-prod`), and a chart from a Helm repository kdrift cannot render
/// (`cert-manager`).
/// Every namespace (the Applications' own and their destinations) starts with `prefix`.
pub fn argo_files(prefix: &str) -> Vec<(&'static str, String)> {
    prefixed(argo(), prefix)
}

fn argo() -> Vec<(&'static str, String)> {
    let url = ARGO_REPO_URL.trim_end_matches(".git");
    vec![
        (
            "argocd/root.yaml",
            application(
                "root",
                "argocd",
                &format!("    repoURL: {url}\n    targetRevision: HEAD\n    path: argocd/apps\n"),
            ),
        ),
        (
            "argocd/apps/guestbook.yaml",
            application(
                "guestbook",
                "guestbook",
                &format!("    repoURL: {url}\n    targetRevision: HEAD\n    path: apps/guestbook\n"),
            ),
        ),
        (
            "argocd/apps/shop.yaml",
            application(
                "shop",
                "shop",
                &format!("    repoURL: {url}.git\n    targetRevision: main\n    path: apps/shop/overlays/prod\n    kustomize:\n      commonLabels:\n        team: shop\n      images:\n        - registry.example/api:1.1\n"),
            ),
        ),
        (
            "argocd/apps/web.yaml",
            application(
                "web",
                "web",
                &format!("    repoURL: {url}\n    targetRevision: HEAD\n    path: charts/web\n    helm:\n      releaseName: web-prod\n      valueFiles:\n        - values-prod.yaml\n      values: |\n        greeting: hi\n"),
            ),
        ),
        (
            "argocd/apps/cert-manager.yaml",
            application(
                "cert-manager",
                "cert-manager",
                "    repoURL: https://charts.jetstack.io\n    chart: cert-manager\n    targetRevision: v1.16.2\n",
            ),
        ),
        (
            "apps/guestbook/deployment.yaml",
            deployment("guestbook-ui", "registry.example/guestbook:0.2", "1", ""),
        ),
        (
            "apps/guestbook/service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: guestbook-ui\nspec:\n  selector:\n    app: guestbook-ui\n  ports:\n    - port: 80\n      targetPort: 8080\n".into(),
        ),
        (
            // an Argo CD hook: run before each sync, never a tracked object (nor named)
            "apps/guestbook/migrate.yaml",
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: guestbook-migrate-\n  annotations:\n    argocd.argoproj.io/hook: PreSync\n    argocd.argoproj.io/hook-delete-policy: HookSucceeded\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: migrate\n          image: registry.example/guestbook:0.2\n".into(),
        ),
        (
            "apps/guestbook/tests/smoke.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: smoke\ndata:\n  run: \"false\"\n".into(),
        ),
        (
            "apps/shop/base/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n  - configmap.yaml\n".into(),
        ),
        (
            "apps/shop/base/deployment.yaml",
            deployment("api", "registry.example/api:1.0", "1", ""),
        ),
        (
            "apps/shop/base/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api-config\ndata:\n  mode: base\n".into(),
        ),
        (
            "apps/shop/overlays/prod/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\nreplicas:\n  - name: api\n    count: 3\n".into(),
        ),
        (
            "charts/web/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.3.0\nappVersion: \"3.1\"\n".into(),
        ),
        (
            "charts/web/values.yaml",
            "replicas: 1\ngreeting: hello\n".into(),
        ),
        ("charts/web/values-prod.yaml", "replicas: 2\n".into()),
        (
            "charts/web/templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n    app.kubernetes.io/instance: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels:\n      app.kubernetes.io/instance: {{ .Release.Name }}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/instance: {{ .Release.Name }}\n    spec:\n      containers:\n        - name: web\n          image: registry.example/web:{{ .Chart.AppVersion }}\n".into(),
        ),
        (
            "charts/web/templates/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\n  namespace: {{ .Release.Namespace }}\ndata:\n  greeting: {{ .Values.greeting | quote }}\n".into(),
        ),
    ]
}

/// `flux bootstrap`'s layout: `clusters/prod/flux-system` (the GitRepository of this repo and the
/// Kustomization of `clusters/prod`), which declares a Kustomization of `apps/prod` (no
/// kustomization.yaml there: Flux writes one) into `podinfo` with a patch and
/// `postBuild.substitute`, a HelmRelease of `charts/redis` into `cache` (release `cache-redis`)
/// with a values file and inline values, and a HelmRelease from a Helm repository.
/// Every namespace (Flux's own and the targets) starts with `prefix`.
pub fn flux_files(prefix: &str) -> Vec<(&'static str, String)> {
    prefixed(flux(), prefix)
}

fn flux() -> Vec<(&'static str, String)> {
    let source_ref = "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";
    vec![
        (
            "clusters/prod/flux-system/gotk-sync.yaml",
            format!("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m0s\n  ref:\n    branch: main\n  url: ssh://git@github.com/example/fleet\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 10m0s\n  path: ./clusters/prod\n  prune: true\n{source_ref}"),
        ),
        (
            "clusters/prod/flux-system/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-sync.yaml\n".into(),
        ),
        (
            "clusters/prod/apps.yaml",
            format!("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/prod\n  prune: true\n  targetNamespace: podinfo\n{source_ref}  patches:\n    - patch: |\n        - op: add\n          path: /metadata/annotations/owner\n          value: platform\n      target:\n        kind: ConfigMap\n        name: podinfo-settings\n  postBuild:\n    substitute:\n      cluster_name: prod\n      replicas: \"2\"\n"),
        ),
        (
            "clusters/prod/redis.yaml",
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: redis\n  namespace: flux-system\nspec:\n  interval: 10m\n  targetNamespace: cache\n  chart:\n    spec:\n      chart: ./charts/redis\n      sourceRef:\n        kind: GitRepository\n        name: flux-system\n      valuesFiles:\n        - ./charts/redis/values-prod.yaml\n  values:\n    maxmemory: 64mb\n".into(),
        ),
        (
            "clusters/prod/ingress.yaml",
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ingress-nginx\n  namespace: flux-system\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: ingress-nginx\n      version: 4.11.x\n      sourceRef:\n        kind: HelmRepository\n        name: ingress-nginx\n".into(),
        ),
        (
            "apps/prod/deployment.yaml",
            deployment(
                "podinfo",
                "ghcr.io/stefanprodan/podinfo:6.7.1",
                "${replicas:=1}",
                "    cluster: ${cluster_name}\n",
            ),
        ),
        (
            "apps/prod/settings.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo-settings\ndata:\n  cluster: ${cluster_name}\n  region: ${region:=eu-west-1}\n  motd: echo $${HOME}\n".into(),
        ),
        (
            "apps/prod/script.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo-script\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  run.sh: echo ${HOME}\n".into(),
        ),
        (
            "charts/redis/Chart.yaml",
            "apiVersion: v2\nname: redis\nversion: 1.2.0\nappVersion: \"7.4\"\n".into(),
        ),
        (
            "charts/redis/values.yaml",
            "replicas: 1\nmaxmemory: 32mb\n".into(),
        ),
        ("charts/redis/values-prod.yaml", "replicas: 3\n".into()),
        (
            "charts/redis/templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels:\n      app.kubernetes.io/instance: {{ .Release.Name }}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/instance: {{ .Release.Name }}\n    spec:\n      containers:\n        - name: redis\n          image: redis:{{ .Chart.AppVersion }}\n          args: [\"--maxmemory\", {{ .Values.maxmemory | quote }}]\n".into(),
        ),
        (
            "charts/redis/templates/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  maxmemory: {{ .Values.maxmemory | quote }}\n".into(),
        ),
    ]
}

/// Namespaces named on `namespace:` and `targetNamespace:` lines (not templated ones) get `prefix`,
/// so that tests sharing a control plane do not meet.
fn prefixed(files: Vec<(&'static str, String)>, prefix: &str) -> Vec<(&'static str, String)> {
    files
        .into_iter()
        .map(|(path, text)| {
            let text = text
                .split_inclusive('\n')
                .map(|line| {
                    let trimmed = line.trim_start();
                    let indent = &line[..line.len() - trimmed.len()];
                    for key in ["namespace: ", "targetNamespace: "] {
                        if let Some(rest) = trimmed.strip_prefix(key)
                            && !rest.starts_with("{{")
                        {
                            return format!("{indent}{key}{prefix}{rest}");
                        }
                    }
                    line.to_string()
                })
                .collect();
            (path, text)
        })
        .collect()
}

/// `files` committed in a new repo whose `origin` is `url`.
pub fn gitops_repo(files: &[(&str, String)], url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    commit_all(dir.path(), "gitops layout");
    git(dir.path(), &["remote", "add", "origin", url]);
    dir
}
