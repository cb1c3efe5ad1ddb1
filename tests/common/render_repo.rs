//! A GitOps repo as people write them: a kustomize base with a prod overlay, a Helm chart with a
//! values file per environment, and a plain manifest, committed with the git CLI.

use std::path::Path;
use std::process::Command;

/// Runs git in `dir` with a fixed identity; panics with git's stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git is installed");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Writes `files` (path, contents) under `dir`, creating directories.
pub fn write_files(dir: &Path, files: &[(&str, String)]) {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// `git add -A && git commit` in a worktree (made with `git init` if needed).
pub fn commit_all(dir: &Path, message: &str) -> String {
    if !dir.join(".git").exists() {
        git(dir, &["init", "-q"]);
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

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

/// The message of the error row that names `file`; panics listing every error when there is none.
pub fn error_for(snap: &kdrift::repo::Snapshot, file: &str) -> String {
    snap.errors
        .iter()
        .find(|e| e.source == file)
        .unwrap_or_else(|| panic!("no error row for {file}: {:?}", snap.errors))
        .message
        .clone()
}

/// A committed repo holding `render_files(ns)`.
pub fn layout_repo(ns: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &render_files(ns));
    commit_all(dir.path(), "layout");
    dir
}
