//! A GitOps repo as people write them: a kustomize base with a prod overlay, a Helm chart with a
//! values file per environment, and a plain manifest, committed with the git CLI.

use crate::git::{commit_all, write_files};

/// The kustomize and Helm layout below `dir`, every object in namespace `ns`.
/// `apps/overlays/prod` includes `apps/base`; `charts/web` has `values-prod.yaml`.
pub fn render_files(ns: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "apps/base/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n  - configmap.yaml\n".into(),
        ),
        (
            "apps/base/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: api\n  template:\n    metadata:\n      labels:\n        app: api\n    spec:\n      containers:\n        - name: api\n          image: registry.example/api:1.0\n".into(),
        ),
        (
            "apps/base/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api-config\ndata:\n  greeting: hello\n".into(),
        ),
        (
            "apps/overlays/prod/kustomization.yaml",
            format!("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {ns}\nnamePrefix: prod-\nresources:\n  - ../../base\nreplicas:\n  - name: api\n    count: 3\nconfigMapGenerator:\n  - name: settings\n    literals:\n      - MODE=prod\nlabels:\n  - pairs:\n      env: prod\n"),
        ),
        (
            "charts/web/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: \"2.0\"\n".into(),
        ),
        (
            "charts/web/values.yaml",
            "replicas: 1\nimage: registry.example/web:2.0\n".into(),
        ),
        ("charts/web/values-prod.yaml", "replicas: 2\n".into()),
        (
            "charts/web/templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n    app.kubernetes.io/managed-by: {{ .Release.Service }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels:\n      app: {{ .Release.Name }}\n  template:\n    metadata:\n      labels:\n        app: {{ .Release.Name }}\n    spec:\n      containers:\n        - name: web\n          image: {{ .Values.image }}\n".into(),
        ),
        (
            "charts/web/templates/service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  selector:\n    app: {{ .Release.Name }}\n  ports:\n    - port: 80\n".into(),
        ),
        (
            "charts/web/templates/tests/ping.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-ping\n  annotations:\n    helm.sh/hook: test\nspec:\n  containers:\n    - name: ping\n      image: busybox\n".into(),
        ),
        (
            "plain/namespace.yaml",
            format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"),
        ),
    ]
}

/// A committed repo holding `render_files(ns)`.
pub fn layout_repo(ns: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &render_files(ns));
    commit_all(dir.path(), "layout");
    dir
}

/// A Deployment of about 1.5 KB, with `i` in names and values.
pub fn deployment(i: usize) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: ns-{ns}\n  labels:\n    app: app-{i}\n    team: team-{t}\nspec:\n  replicas: {r}\n  selector:\n    matchLabels:\n      app: app-{i}\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      containers:\n        - name: main\n          image: registry.example.com/app-{i}:1.{i}\n          ports:\n            - name: http\n              containerPort: 8080\n          env:\n            - name: MODE\n              value: production\n            - name: INDEX\n              value: \"{i}\"\n          resources:\n            requests:\n              cpu: 100m\n              memory: 128Mi\n            limits:\n              cpu: 500m\n              memory: 256Mi\n          readinessProbe:\n            httpGet:\n              path: /healthz\n              port: 8080\n        - name: sidecar\n          image: registry.example.com/proxy:2.0\n          args: [\"--upstream=127.0.0.1:8080\", \"--port=9090\"]\n",
        ns = i % 50,
        t = i % 7,
        r = 1 + i % 5
    )
}

/// `n` Deployments (`apps/app-<i>.yaml`) in a first commit, and a second commit that changes
/// three of them (first, middle, last): the commit ids, oldest first.
pub fn apps_repo(n: usize) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let texts: Vec<(String, String)> = (0..n)
        .map(|i| (format!("apps/app-{i}.yaml"), deployment(i)))
        .collect();
    let all: Vec<(&str, String)> = texts.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    write_files(dir.path(), &all);
    let first = commit_all(dir.path(), "many apps");
    let changed: Vec<(&str, String)> = [1, n / 2, n - 1]
        .iter()
        .map(|&i| (texts[i].0.as_str(), texts[i].1.replace("1.", "2.")))
        .collect();
    write_files(dir.path(), &changed);
    let second = commit_all(dir.path(), "bump three");
    (dir, vec![first, second])
}
